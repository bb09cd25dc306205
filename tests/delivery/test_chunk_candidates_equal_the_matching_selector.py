"""Digests pick their papers for a whole chunk in one query; it must agree with the matching app's
per-subscriber `digest_candidates`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryItem, OutboxStatus
from digest.delivery.selectors import digest_candidates_many
from digest.matching.models import Feedback
from digest.matching.selectors import digest_candidates
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def test_the_chunk_query_returns_what_digest_candidates_returns() -> None:
    now = timezone.now()
    subscribers = SubscriberFactory.create_batch(4)
    papers = PaperFactory.create_batch(8)
    papers[7].hidden = True
    papers[7].save()
    for s_index, subscriber in enumerate(subscribers):
        for p_index, paper in enumerate(papers):
            MatchFactory(
                subscriber=subscriber, paper=paper, score=0.5 + ((s_index * 3 + p_index * 7) % 10) / 20
            )
    old = MatchFactory(subscriber=subscribers[0], paper=PaperFactory(), score=0.99)
    old.created_at = now - timedelta(days=3)
    old.save()
    Feedback.objects.create(subscriber=subscribers[1], paper=papers[0], value=-1)
    earlier = Delivery.objects.create(
        subscriber=subscribers[2], period=(now - timedelta(days=5)).date(), status=OutboxStatus.SENT,
        covers_since=now - timedelta(days=6), covers_until=now - timedelta(days=5),
    )  # fmt: skip
    DeliveryItem.objects.create(delivery=earlier, paper=papers[1], position=0, score=0.9)
    windows = {s.pk: (now - timedelta(days=1), now + timedelta(seconds=1)) for s in subscribers}
    windows[subscribers[3].pk] = (now - timedelta(days=7), now + timedelta(seconds=1))

    chunk = digest_candidates_many(windows=windows, limit=5)
    for subscriber in subscribers:
        since, until = windows[subscriber.pk]
        expected = digest_candidates(subscriber=subscriber, since=since, until=until, limit=5)
        got = chunk.get(subscriber.pk, [])
        assert [m.pk for m in got] == [m.pk for m in expected], subscriber.pk
    assert papers[0].pk not in {m.paper_id for m in chunk[subscribers[1].pk]}
    assert papers[1].pk not in {m.paper_id for m in chunk[subscribers[2].pk]}
