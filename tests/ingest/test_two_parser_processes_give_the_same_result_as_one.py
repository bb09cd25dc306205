"""A large local JSON-lines file is parsed by several processes, each taking every other block of
lines; the stored result, counts and rejects must be exactly those of a single parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings

from digest.papers import services
from digest.papers.models import Paper
from tests.ingest.conftest import ARXIV_CSV, Ingest, snapshot_line


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of three lines and no size floor, so a small file spans many blocks of both parsers.
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    monkeypatch.setattr(services, "SHARED_MIN_BYTES", 0)


def _stored() -> list[tuple[object, ...]]:
    return list(Paper.objects.order_by("key").values_list("key", "arxiv_version", "title", "author_names"))


def _outcome(ingest: Ingest, path: Path, parsers: int) -> tuple[object, ...]:
    Paper.objects.all().delete()
    with override_settings(INGEST_PARSERS=parsers):
        run = ingest(path)
    return run.format, run.new, run.updated, run.unchanged, run.rejected, run.rejects, _stored()


@pytest.mark.usefixtures("small_blocks")
def test_blocks_shared_by_two_parsers_store_what_one_parser_stores(ingest: Ingest, tmp_path: Path) -> None:
    lines = [snapshot_line(f"2401.{n:05d}", 1, f"Paper number {n}") for n in range(20)]
    lines[4] = "{not json"
    lines[9] = ""
    lines[13] = snapshot_line("2401.00002", 3, "Paper number 2, revised")  # a later version, in another block
    lines[17] = json.dumps({"id": "2401.99999", "title": "No abstract"})
    path = tmp_path / "snapshot.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    one = _outcome(ingest, path, 1)
    two = _outcome(ingest, path, 2)
    assert two == one
    assert one[1:5] == (16, 1, 0, 2)
    assert [reject["record"] for reject in one[5]] == [5, 18]
    assert ("2401.00002", 3, "Paper number 2, revised", ["Ada Lovelace", "Alan Turing"]) in one[6]


@pytest.mark.usefixtures("small_blocks")
def test_a_format_that_cannot_be_shared_is_parsed_once(ingest: Ingest) -> None:
    with override_settings(INGEST_PARSERS=2):
        run = ingest(ARXIV_CSV)
    assert (run.format, run.new, run.unchanged) == ("arxiv-csv", 2000, 0)
    assert Paper.objects.count() == 2000
