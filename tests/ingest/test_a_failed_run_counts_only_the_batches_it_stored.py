"""A run's counts are saved in the transaction of the batch they count: when a later batch fails,
the run says exactly what is stored, and ingesting again completes it."""

from __future__ import annotations

import pytest

from digest.papers import bulk, services
from digest.papers.models import IngestRun, Paper
from tests.ingest.conftest import ARXIV_CSV, FailingOnCall, Ingest


class DiskFull(Exception):
    pass


@pytest.fixture(autouse=True)
def batches_of_700(monkeypatch: pytest.MonkeyPatch) -> None:
    # The 2,000 sample papers in batches of 700, 700 and 600.
    monkeypatch.setattr(services, "BATCH_SIZE", 700)


def test_a_run_failing_in_its_third_batch_counts_the_two_batches_stored(
    ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert = bulk.papers_insert
    monkeypatch.setattr(bulk, "papers_insert", FailingOnCall(insert, 3, DiskFull("no space left on device")))
    with pytest.raises(DiskFull):
        ingest(ARXIV_CSV)

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert "no space left on device" in run.error
    assert (run.new, run.updated, run.unchanged) == (1400, 0, 0)
    assert Paper.objects.count() == 1400

    monkeypatch.setattr(bulk, "papers_insert", insert)
    again = ingest(ARXIV_CSV)
    assert (again.new, again.unchanged) == (600, 1400)
    assert Paper.objects.count() == 2000


def test_a_batch_whose_counts_cannot_be_saved_is_not_stored_either(
    ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = IngestRun.save
    counted = 0

    def save_failing_third_count(self: IngestRun, *args: object, **kwargs: object) -> None:
        nonlocal counted
        if kwargs.get("update_fields") == services._RUN_COUNTS:
            counted += 1
            if counted == 3:
                raise DiskFull("no space left on device")
        save(self, *args, **kwargs)

    monkeypatch.setattr(IngestRun, "save", save_failing_third_count)
    with pytest.raises(DiskFull):
        ingest(ARXIV_CSV)

    run = IngestRun.objects.get()
    assert (run.status, run.new) == (IngestRun.Status.FAILED, 1400)
    assert Paper.objects.count() == 1400
