"""On PostgreSQL, outside a caller's transaction, a writer thread stores each batch while the next
is planned. The store must end up exactly as when each batch is planned and stored in turn: batches
that reach the same papers wait for each other, a paper changed by someone else in between is read
again, and a failing batch stops the run with the batches before it stored and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.db import connection, transaction

from digest.papers import bulk, services
from digest.papers.models import Author, IngestRun, Paper, PaperAuthor
from digest.papers.services import ingest_location
from tests.ingest.conftest import ARXIV_CSV, FailingOnCall, snapshot_line

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not bulk.is_postgres(), reason="the writer thread is PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def batches_of_300(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 300)


def _store() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    papers = list(
        Paper.objects.order_by("key").values_list(
            "key", "arxiv_version", "title", "content_hash", "author_names"
        )
    )
    authors = list(Author.objects.order_by("key").values_list("key", "name", "match_key"))
    links = list(
        PaperAuthor.objects.order_by("paper__key", "position").values_list(
            "paper__key", "author__key", "position"
        )
    )
    return papers, authors, links


def _counts(run: IngestRun) -> tuple[int, int, int, int]:
    return run.new, run.updated, run.unchanged, run.rejected


def test_the_arxiv_sample_is_stored_as_one_batch_at_a_time_stores_it() -> None:
    assert not connection.in_atomic_block
    overlapped = ingest_location(location=str(ARXIV_CSV))
    store = _store()
    again = ingest_location(location=str(ARXIV_CSV))
    assert _counts(again) == (0, 0, 2000, 0)

    Paper.objects.all().delete()
    Author.objects.all().delete()
    with transaction.atomic():  # a caller's transaction: one batch at a time, on this connection
        in_turn = ingest_location(location=str(ARXIV_CSV))
    assert _counts(overlapped) == _counts(in_turn) == (2000, 0, 0, 0)
    assert _store() == store
    assert len(store[0]) == 2000 and len(store[2]) > 2000


def test_a_batch_reaching_papers_still_being_written_waits_for_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    path = tmp_path / "versions.jsonl"
    # The second batch holds new versions of both papers of the first.
    lines = [
        snapshot_line("2401.00001", 1, "First", ("Turing1",)),
        snapshot_line("2401.00002", 1, "Second", ("Turing1",)),
    ]
    lines += [
        snapshot_line("2401.00001", 2, "First, revised", ("Turing2",)),
        snapshot_line("2401.00002", 2, "Second, revised", ("Turing2",)),
    ]
    lines += [
        snapshot_line("2401.00003", 1, "Third", ("Turing1",)),
        snapshot_line("2401.00001", 3, "First, final", ("Turing3",)),
    ]
    path.write_text("\n".join(lines) + "\n")

    with caplog.at_level(logging.WARNING, logger="digest.papers.services"):
        run = ingest_location(location=str(path))

    assert "retrying" not in caplog.text  # it waited, rather than collided and read again
    assert _counts(run) == (3, 3, 0, 0)
    assert list(Paper.objects.order_by("key").values_list("key", "arxiv_version", "title")) == [
        ("2401.00001", 3, "First, final"),
        ("2401.00002", 2, "Second, revised"),
        ("2401.00003", 1, "Third"),
    ]
    assert list(
        PaperAuthor.objects.filter(paper__key="2401.00001").order_by("position").values_list("author__name")
    ) == [("Ada Lovelace",), ("Alan Turing3",)]


def test_a_paper_changed_between_planning_and_writing_is_read_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(snapshot_line("2401.00001", 1, "First", ("Turing1",)) + "\n")
    ingest_location(location=str(path))
    path.write_text(snapshot_line("2401.00001", 2, "First, revised", ("Turing2",)) + "\n")
    plan = services._plan_batch

    def plan_then_someone_edits(parsed: list[services.Parsed], *keys: set[str]) -> services._Plan:
        planned = plan(parsed, *keys)
        if not connection.in_atomic_block:  # the overlapped plan, not the retry under the lock
            Paper.objects.filter(key="2401.00001").update(upvotes=7, content_hash="edited meanwhile")
        return planned

    monkeypatch.setattr(services, "_plan_batch", plan_then_someone_edits)
    with caplog.at_level(logging.WARNING, logger="digest.papers.services"):
        run = ingest_location(location=str(path))

    assert "retrying it once" in caplog.text
    assert _counts(run) == (0, 1, 0, 0)
    paper = Paper.objects.get()
    assert (paper.arxiv_version, paper.title, paper.upvotes) == (2, "First, revised", 7)


def test_a_failing_batch_stops_the_run_with_the_batches_before_it_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    insert = FailingOnCall(bulk.papers_insert, 3, OSError("no space left on device"))
    monkeypatch.setattr(bulk, "papers_insert", insert)
    with pytest.raises(OSError, match="no space left"):
        ingest_location(location=str(ARXIV_CSV))

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert (run.new, run.updated, run.unchanged) == (600, 0, 0)
    assert Paper.objects.count() == 600
    assert insert.calls == 3  # no batch after the failing one was written
