"""The Celery task path through a real worker process and Redis broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.matching.models import ProcessedPaper
from digest.papers.models import IngestRun, Paper, PaperSearchDocument
from digest.papers.tasks import ingest_task
from tests.conftest import CeleryWorker
from tests.ingest.conftest import DATA


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met before the deadline")


@pytest.fixture
def worker(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> CeleryWorker:
    # Embedding models are matching's business and cost seconds to load; the hand-off is what we test.
    monkeypatch.setenv("MATCH_SEMANTIC", "0")
    return request.getfixturevalue("celery_worker")


def test_ingest_task_is_executed_by_the_worker_and_hands_new_papers_to_matching_and_search(
    worker: CeleryWorker,
) -> None:
    ingest_task.delay(str(DATA / "arxiv-api.atom"))
    wait_for(lambda: IngestRun.objects.filter(status=IngestRun.Status.DONE).exists())
    run = IngestRun.objects.get()
    assert (run.format, run.new, run.rejected) == ("arxiv-atom", 3, 0)
    assert Paper.objects.count() == 3
    # process_new_papers was queued after the ingest committed and claimed the three papers.
    wait_for(lambda: ProcessedPaper.objects.count() == 3)
    # So was the search index, which wrote the three papers' admin search documents.
    wait_for(lambda: PaperSearchDocument.objects.count() == 3)


def test_a_bad_input_is_recorded_as_a_failed_run_not_retried(worker: CeleryWorker, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\xff" * 64)
    ingest_task.delay(str(bad))
    wait_for(lambda: IngestRun.objects.filter(status=IngestRun.Status.FAILED).exists())
    run = IngestRun.objects.get()
    assert "binary data" in run.error
    assert Paper.objects.count() == 0
    assert not ProcessedPaper.objects.exists()
