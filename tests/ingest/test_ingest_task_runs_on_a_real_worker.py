"""The Celery task path through a real worker process and Redis broker."""

from __future__ import annotations

import time

from digest.papers.models import IngestRun, Paper
from digest.papers.tasks import ingest_task
from tests.conftest import CeleryWorker
from tests.ingest.conftest import DATA


def wait_for(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met before the deadline")


def test_ingest_task_is_executed_by_the_worker(celery_worker: CeleryWorker) -> None:
    ingest_task.delay(str(DATA / "arxiv-api.atom"))
    wait_for(lambda: IngestRun.objects.filter(status=IngestRun.Status.DONE).exists())
    run = IngestRun.objects.get()
    assert (run.format, run.new, run.rejected) == ("arxiv-atom", 3, 0)
    assert Paper.objects.count() == 3


def test_a_bad_input_is_recorded_as_a_failed_run_not_retried(celery_worker: CeleryWorker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\xff" * 64)
    bad.chmod(0o644)
    ingest_task.delay(str(bad))
    wait_for(lambda: IngestRun.objects.filter(status=IngestRun.Status.FAILED).exists())
    run = IngestRun.objects.get()
    assert "binary data" in run.error
    assert Paper.objects.count() == 0
