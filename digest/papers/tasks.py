"""Celery tasks for ingestion: they take plain values, re-read state and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from digest.ingest.errors import IngestError
from digest.papers.models import Source
from digest.papers.search_index import search_documents_index
from digest.papers.services import ingest_location, source_claim_due

logger = logging.getLogger(__name__)


@shared_task(name="papers.ingest", soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def ingest_task(location: str, format: str | None = None, source_id: int | None = None) -> int | None:
    """Ingest one location; returns the IngestRun id. A bad input is recorded on the run (and
    logged), not retried: the same bytes would fail the same way."""
    try:
        run = ingest_location(location=location, format=format, source_id=source_id)
    except IngestError as error:
        logger.warning("ingest of %s failed: %s", location, error)
        return error.run_id
    if run.new or run.updated:
        from digest.matching.tasks import process_new_papers

        search_index_task.delay_on_commit()
        process_new_papers.delay_on_commit()
    return run.pk


@shared_task(name="papers.search_index", soft_time_limit=3600, time_limit=3600 + 300)
def search_index_task() -> int:
    """After an ingest run (and on beat, for anything a failed run left): the admin search documents
    of the papers that have none. Idempotent; concurrent runs only duplicate work."""
    return search_documents_index()


@shared_task(name="papers.ingest_due_sources")
def ingest_due_sources() -> list[int]:
    """Beat: queue an ingest for every enabled source whose interval has elapsed."""
    claimed = source_claim_due()
    for source in Source.objects.filter(pk__in=claimed):
        ingest_task.delay_on_commit(source.url, source.format or None, source.pk)
    return claimed
