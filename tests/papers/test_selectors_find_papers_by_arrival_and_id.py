from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digest.papers.models import IngestRun, Paper
from digest.papers.selectors import ingest_runs_recent, paper_by_arxiv_id, papers_arrived_since
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_papers_arrived_since_uses_first_seen_not_published() -> None:
    now = timezone.now()
    old_but_new_here = PaperFactory(
        published_at=now - timedelta(days=400), first_seen_at=now - timedelta(hours=1)
    )
    PaperFactory(published_at=now - timedelta(hours=2), first_seen_at=now - timedelta(days=3))
    PaperFactory(first_seen_at=now - timedelta(minutes=5), hidden=True)
    assert list(papers_arrived_since(since=now - timedelta(days=1))) == [old_but_new_here]
    assert list(papers_arrived_since(since=now - timedelta(days=1), until=now - timedelta(hours=2))) == []


def test_paper_by_arxiv_id_accepts_any_spelling() -> None:
    paper = PaperFactory(key="2401.01234", arxiv_id="2401.01234")
    assert paper_by_arxiv_id(arxiv_id="arXiv:2401.01234v3") == paper
    assert paper_by_arxiv_id(arxiv_id="https://arxiv.org/abs/2401.01234") == paper
    assert paper_by_arxiv_id(arxiv_id="2401.99999") is None
    assert paper_by_arxiv_id(arxiv_id="nonsense") is None


def test_recent_runs_come_newest_first() -> None:
    now = timezone.now()
    older = IngestRun.objects.create(location="a", started_at=now - timedelta(hours=1))
    newer = IngestRun.objects.create(location="b", started_at=now)
    assert ingest_runs_recent(limit=5) == [newer, older]
    assert Paper.objects.count() == 0
