from __future__ import annotations

import feedparser
import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber, new_feed_token
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_an_unknown_token_answers_404(client: Client, fmt: str) -> None:
    SubscriberFactory()

    assert client.get(reverse(f"feed-personal-{fmt}", args=["not-a-real-token"])).status_code == 404
    assert client.get(f"/feeds/personal/{'x' * 300}.{fmt}").status_code == 404


def test_a_rotated_token_answers_404_and_the_new_one_works(client: Client) -> None:
    subscriber = SubscriberFactory()
    MatchFactory(subscriber=subscriber)
    old_url = reverse("feed-personal-rss", args=[subscriber.feed_token])
    assert client.get(old_url).status_code == 200

    subscriber.feed_token = new_feed_token()
    subscriber.save()

    assert client.get(old_url).status_code == 404
    assert client.get(reverse("feed-personal-rss", args=[subscriber.feed_token])).status_code == 200


def test_a_deleted_or_unsubscribed_subscriber_has_no_feed(client: Client) -> None:
    gone = SubscriberFactory()
    left = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    gone_url = reverse("feed-personal-atom", args=[gone.feed_token])
    client.get(gone_url)
    gone.delete()

    assert client.get(gone_url).status_code == 404
    assert client.get(reverse("feed-personal-atom", args=[left.feed_token])).status_code == 404


def test_the_personal_feed_shows_only_the_holders_matches_at_most_fifty_newest_first(client: Client) -> None:
    subscriber = SubscriberFactory()
    other = SubscriberFactory()
    MatchFactory(subscriber=other, paper=PaperFactory(title="Someone else's paper"))
    for i in range(55):
        MatchFactory(subscriber=subscriber, paper=PaperFactory(title=f"Mine {i:02d}"))

    parsed = feedparser.parse(client.get(reverse("feed-personal-atom", args=[subscriber.feed_token])).content)

    titles = [entry.title for entry in parsed.entries]
    assert len(titles) == 50
    assert titles[0] == "Mine 54"
    assert "Someone else's paper" not in titles
