from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digest.papers.models import Paper
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_visible_latest_first_and_arrived_between() -> None:
    now = timezone.now()
    first = PaperFactory(published_at=now - timedelta(days=2), first_seen_at=now - timedelta(hours=3))
    second = PaperFactory(published_at=now - timedelta(days=1), first_seen_at=now - timedelta(hours=1))
    PaperFactory(hidden=True, first_seen_at=now - timedelta(hours=2))
    assert list(Paper.objects.visible().latest_first()) == [second, first]
    window = Paper.objects.visible().arrived_between(now - timedelta(hours=4), now - timedelta(hours=1))
    assert list(window) == [first]  # the end of the window is exclusive


def test_keys_and_arxiv_ids_are_unique() -> None:
    from django.db import IntegrityError, transaction

    PaperFactory(key="2401.00001", arxiv_id="2401.00001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperFactory(key="2401.00001", arxiv_id=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperFactory(key="title:abc", arxiv_id="2401.00001")
    # Many title-keyed papers have no arXiv id at all.
    PaperFactory(key="title:one", arxiv_id=None)
    PaperFactory(key="title:two", arxiv_id=None)
