from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from digest.papers.models import IngestRun, Paper, Source

pytestmark = pytest.mark.django_db
DEMO_PAGE = Path(settings.BASE_DIR) / "demo" / "hf-papers" / "page-1.txt"


@pytest.fixture
def source() -> Source:
    # A local path stands in for the URL: the ingest service reads paths and URLs alike.
    return Source.objects.create(name="HF sample", url=str(DEMO_PAGE), format="hf-page")


def _run_queued_ingest(callbacks: list[Callable[[], None]]) -> None:
    # Only the ingest the admin queued: the matching run it queues in turn stays in the test's
    # never-committed transaction (matching has its own tests, and embedding is slow).
    assert len(callbacks) == 1
    callbacks[0]()


def test_ingest_now_runs_the_source_and_its_history_shows_the_counts(
    curator_client: Client, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = curator_client.post(reverse("admin:papers_source_ingest", args=[source.pk]))
    assert response.status_code == 302
    _run_queued_ingest(callbacks)
    run = IngestRun.objects.get(source=source)
    assert run.status == "done" and run.new > 0 and run.new == Paper.objects.count()
    page = curator_client.get(reverse("admin:papers_source_change", args=[source.pk])).content.decode()
    assert reverse("admin:papers_ingestrun_change", args=[run.pk]) in page
    assert f"<td>{run.new}</td>" in page


def test_ingest_now_as_a_list_action(
    curator_client: Client, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        curator_client.post(
            reverse("admin:papers_source_changelist"),
            {"action": "ingest_now", ACTION_CHECKBOX_NAME: [source.pk]},
        )
    _run_queued_ingest(callbacks)
    assert IngestRun.objects.filter(source=source, status="done").count() == 1


def test_ingest_now_only_answers_post(curator_client: Client, source: Source) -> None:
    assert curator_client.get(reverse("admin:papers_source_ingest", args=[source.pk])).status_code == 405
    assert not IngestRun.objects.exists()


def test_a_run_page_lists_rejected_records_as_text(curator_client: Client, source: Source) -> None:
    run = IngestRun.objects.create(
        source=source,
        location="x",
        status="done",
        rejected=1,
        rejects=[{"record": 7, "reason": "<b>no title</b>"}],
    )
    page = curator_client.get(reverse("admin:papers_ingestrun_change", args=[run.pk])).content.decode()
    assert "&lt;b&gt;no title&lt;/b&gt;" in page and "<td>7</td>" in page
