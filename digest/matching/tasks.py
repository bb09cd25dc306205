"""Matching tasks: each loads by id and calls one service; chunks can run on any worker."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from digest.matching import services
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)


@shared_task(name="matching.process_new_papers", acks_late=True)
def process_new_papers() -> int:
    """Embed and rank the papers no run has processed yet, for every active subscriber.

    Idempotent: papers are claimed (marked processed) once, and the per-chunk tasks upsert their
    Match rows, so a retried or duplicated chunk writes the same rows again. Returns how many
    chunk tasks were queued."""
    paper_ids = services.papers_claim_new()
    if not paper_ids:
        return 0
    # Embeddings first, once, here: the chunk tasks then all read the stored vectors.
    services.embeddings_ensure(paper_ids=paper_ids)
    subscriber_ids = list(Subscriber.objects.active().order_by("pk").values_list("pk", flat=True))
    size = settings.MATCH_CHUNK_SIZE
    chunks = [subscriber_ids[i : i + size] for i in range(0, len(subscriber_ids), size)]
    for chunk in chunks:
        transaction.on_commit(lambda chunk=chunk: match_chunk.delay(chunk, paper_ids))
    logger.info(
        "matching %d new papers for %d subscribers in %d chunks",
        len(paper_ids),
        len(subscriber_ids),
        len(chunks),
    )
    return len(chunks)


@shared_task(name="matching.match_chunk", acks_late=True)
def match_chunk(subscriber_ids: list[int], paper_ids: list[int]) -> int:
    active = list(Subscriber.objects.active().filter(pk__in=subscriber_ids).values_list("pk", flat=True))
    return services.matches_write(subscriber_ids=active, paper_ids=paper_ids)


@shared_task(name="matching.refresh", acks_late=True)
def matches_refresh_task(subscriber_ids: list[int]) -> None:
    services.matches_refresh(subscriber_ids=subscriber_ids)
