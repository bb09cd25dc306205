from datetime import timedelta

import pytest
from django.utils import timezone

from digest.delivery.models import DeliveryItem
from digest.matching.models import Match
from digest.matching.selectors import digest_candidates
from digest.matching.services import matches_refresh, matches_write
from tests.factories import DeliveryFactory, SubscriberFactory
from tests.matching.helpers import background, paper

pytestmark = pytest.mark.django_db


def _send(subscriber, *papers) -> None:
    delivery = DeliveryFactory(subscriber=subscriber, status="sent")
    for position, item in enumerate(papers):
        DeliveryItem.objects.create(delivery=delivery, paper=item, position=position, score=1.0)


def test_a_sent_paper_is_never_a_candidate_again_even_in_a_later_version() -> None:
    background()
    first = paper("Quantum annealing for scheduling", "An annealer schedules jobs.")
    second = paper("Quantum annealing for routing", "An annealer routes vehicles.")
    subscriber = SubscriberFactory(keywords='"quantum annealing"')
    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[first.pk, second.pk])
    window = (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1))
    assert {
        m.paper for m in digest_candidates(subscriber=subscriber, since=window[0], until=window[1], limit=10)
    } == {
        first,
        second,
    }

    _send(subscriber, first)
    # A new version of the paper arrives and everything is ranked again.
    first.arxiv_version = 2
    first.abstract = "An annealer schedules jobs, now with proofs."
    first.save()
    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[first.pk, second.pk])
    matches_refresh(subscriber_ids=[subscriber.pk])

    later = digest_candidates(
        subscriber=subscriber, since=window[0], until=timezone.now() + timedelta(days=1), limit=10
    )
    assert [m.paper for m in later] == [second]


def test_the_ranking_skips_a_sent_paper_only_for_whoever_got_it() -> None:
    background()
    item = paper("Quantum annealing for scheduling", "An annealer schedules jobs.")
    one, other = (
        SubscriberFactory(keywords='"quantum annealing"'),
        SubscriberFactory(keywords='"quantum annealing"'),
    )
    _send(one, item)
    matches_write(subscriber_ids=[one.pk, other.pk], paper_ids=[item.pk])
    assert list(Match.objects.values_list("subscriber_id", flat=True)) == [other.pk]
