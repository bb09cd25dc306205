"""Reads on the paper side that ingestion and its callers need."""

from __future__ import annotations

from datetime import datetime

from digest.ingest.normalise import arxiv_id_parse
from digest.papers.models import IngestRun, Paper, PaperQuerySet


def ingest_runs_recent(*, limit: int = 20) -> list[IngestRun]:
    return list(IngestRun.objects.select_related("source").order_by("-started_at", "-id")[:limit])


def papers_arrived_since(*, since: datetime, until: datetime | None = None) -> PaperQuerySet:
    """Visible papers first stored in [since, until): what is new for a digest or a feed, whatever
    their (often older) publication date."""
    papers = Paper.objects.visible().filter(first_seen_at__gte=since)
    if until is not None:
        papers = papers.filter(first_seen_at__lt=until)
    return papers.order_by("-first_seen_at", "-id")


def paper_by_arxiv_id(*, arxiv_id: str) -> Paper | None:
    """The paper for an arXiv id in any spelling ('arXiv:2401.01234v2', an abs URL, ...)."""
    parsed = arxiv_id_parse(arxiv_id)
    if parsed is None:
        return None
    return Paper.objects.filter(arxiv_id=parsed[0]).first()
