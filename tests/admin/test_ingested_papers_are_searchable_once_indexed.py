"""Bulk ingestion leaves the admin search documents to the search index task; ORM saves write their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from digest.papers.models import Paper, PaperSearchDocument
from digest.papers.services import ingest_location
from digest.papers.tasks import search_index_task

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"),
]
CHANGELIST = reverse("admin:papers_paper_changelist")


def _found(client: Client, q: str) -> set[str]:
    response = client.get(CHANGELIST, {"q": q})
    assert response.status_code == 200
    return {p.key for p in response.context["cl"].result_list}


def _ingest(tmp_path: Path, version: int, abstract: str) -> None:
    path = tmp_path / f"v{version}.jsonl"
    record = {
        "id": "2401.04321",
        "title": "Tilings of the plane",
        "abstract": abstract,
        "categories": "math.CO",
        "versions": [
            {"version": f"v{n}", "created": "Mon, 1 Jan 2024 10:00:00 GMT"} for n in range(1, version + 1)
        ],
        "authors_parsed": [["Penrose", "Roger", ""]],
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    ingest_location(location=str(path), format="arxiv-jsonl")


def test_an_ingested_paper_is_found_by_its_abstract_after_the_index_task_runs(
    curator_client: Client, tmp_path: Path
) -> None:
    _ingest(tmp_path, 1, "Aperiodic quasicrystal tilings.")
    assert not PaperSearchDocument.objects.exists()
    assert search_index_task() == 1
    assert _found(curator_client, "quasicrystal") == {"2401.04321"}
    assert _found(curator_client, "penrose") == {"2401.04321"}
    assert search_index_task() == 0


def test_a_new_version_replaces_the_old_words_once_indexed_again(
    curator_client: Client, tmp_path: Path
) -> None:
    _ingest(tmp_path, 1, "Aperiodic quasicrystal tilings.")
    search_index_task()
    _ingest(tmp_path, 2, "Metamaterial tilings instead.")
    # The stale document went with the update: the old words no longer find the paper.
    assert _found(curator_client, "quasicrystal") == set()
    assert search_index_task() == 1
    assert _found(curator_client, "metamaterial") == {"2401.04321"}
    assert _found(curator_client, "quasicrystal") == set()


def test_a_paper_edited_through_the_orm_is_searchable_at_once(curator_client: Client, tmp_path: Path) -> None:
    _ingest(tmp_path, 1, "Aperiodic quasicrystal tilings.")
    search_index_task()
    paper = Paper.objects.get()
    paper.title = "Einstein monotiles"
    paper.save()
    assert _found(curator_client, "monotiles") == {"2401.04321"}
    paper.featured = True
    paper.save(update_fields=["featured"])
    assert _found(curator_client, "monotiles") == {"2401.04321"}


def test_the_ingest_command_writes_the_documents_of_what_it_stored(
    curator_client: Client, tmp_path: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "2401.05555", "title": "Heesch numbers", "abstract": "Tiles."}) + "\n")
    call_command("ingest", str(path), stdout=StringIO())
    assert _found(curator_client, "heesch") == {"2401.05555"}
