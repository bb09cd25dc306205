"""Each admin list page costs the same number of queries whatever the number of rows shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _delivery(n: int) -> None:
    from tests.factories import DeliveryFactory

    DeliveryFactory.create_batch(n)


def _seed_papers(n: int) -> None:
    for _ in range(n):
        PaperFactory(authors=["Ada Lovelace", "Alan Turing"])


def _seed_subscribers(n: int) -> None:
    topic = TopicFactory()
    for subscriber in SubscriberFactory.create_batch(n):
        subscriber.topics.add(topic)


def _seed_topics(n: int) -> None:
    for topic in TopicFactory.create_batch(n):
        topic.subscribers.add(SubscriberFactory())


def _seed_aliases(n: int) -> None:
    from digest.curation.services import papers_merge

    for _ in range(n):
        papers_merge(keep_id=PaperFactory().pk, duplicate_ids=[PaperFactory().pk])


def _seed_matches(n: int) -> None:
    MatchFactory.create_batch(n)


@pytest.mark.parametrize(
    ("url_name", "seed"),
    [
        ("admin:papers_paper_changelist", _seed_papers),
        ("admin:papers_topic_changelist", _seed_topics),
        ("admin:papers_author_changelist", _seed_papers),
        ("admin:subscriptions_subscriber_changelist", _seed_subscribers),
        ("admin:matching_match_changelist", _seed_matches),
        ("admin:delivery_delivery_changelist", _delivery),
        ("admin:curation_paperalias_changelist", _seed_aliases),
    ],
)
def test_a_list_page_costs_the_same_queries_for_2_or_12_rows(
    admin_client: Client, url_name: str, seed: Callable[[int], None]
) -> None:
    url = reverse(url_name)
    seed(2)
    admin_client.get(url)  # warms the cached filter choices, which are not per row
    few = _queries(admin_client, url)
    seed(10)
    assert _queries(admin_client, url) == few


def _change_queries(client: Client, url_name: str, pk: int) -> int:
    client.get(reverse(url_name, args=[pk]))  # warms per-process caches (content types)
    return _queries(client, reverse(url_name, args=[pk]))


def test_a_subscriber_page_costs_the_same_queries_for_1_or_10_deliveries(admin_client: Client) -> None:
    from tests.factories import DeliveryFactory

    subscriber = SubscriberFactory()
    subscriber.topics.add(TopicFactory())
    DeliveryFactory(subscriber=subscriber)
    few = _change_queries(admin_client, "admin:subscriptions_subscriber_change", subscriber.pk)
    DeliveryFactory.create_batch(9, subscriber=subscriber)
    assert _change_queries(admin_client, "admin:subscriptions_subscriber_change", subscriber.pk) == few


def test_a_delivery_page_costs_the_same_queries_for_1_or_10_papers(admin_client: Client) -> None:
    from digest.delivery.models import DeliveryItem
    from tests.factories import DeliveryFactory

    delivery = DeliveryFactory()
    DeliveryItem.objects.create(delivery=delivery, paper=PaperFactory(), position=0, score=1.0)
    few = _change_queries(admin_client, "admin:delivery_delivery_change", delivery.pk)
    for position in range(1, 10):
        DeliveryItem.objects.create(delivery=delivery, paper=PaperFactory(), position=position, score=1.0)
    assert _change_queries(admin_client, "admin:delivery_delivery_change", delivery.pk) == few
