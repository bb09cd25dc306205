"""The digest builds its links with cached routes; they must be the links the owning apps make and
accept."""

from __future__ import annotations

import pytest
import time_machine

from digest.delivery.rendering import feedback_url_pairs, paper_url, route_url
from digest.matching.links import feedback_urls
from subscriptions import links
from subscriptions.tokens import Purpose, token_make
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def _strip_token(url: str) -> str:
    parts = url.rstrip("/").split("/")
    return "/".join(p for p in parts if ":" not in p)


def test_routes_equal_the_apps_own_link_helpers() -> None:
    subscriber = SubscriberFactory()
    paper = PaperFactory()
    manage = route_url("subscriptions:manage", token_make(purpose=Purpose.MANAGE, subscriber=subscriber))
    unsubscribe = route_url(
        "subscriptions:unsubscribe", token_make(purpose=Purpose.UNSUBSCRIBE, subscriber=subscriber)
    )
    assert manage and _strip_token(manage) == _strip_token(links.manage_url(subscriber))
    assert unsubscribe and _strip_token(unsubscribe) == _strip_token(links.unsubscribe_url(subscriber))
    assert route_url("feed-personal-rss", subscriber.feed_token) == links.personal_feed_urls(subscriber)[0]
    token = token_make(purpose=Purpose.FEEDBACK, subscriber=subscriber, extra=str(paper.pk))
    more, less = feedback_urls(subscriber=subscriber, paper=paper)
    assert _strip_token(route_url("matching:feedback", token, "more") or "") == _strip_token(more)
    assert _strip_token(route_url("matching:feedback", token, "less") or "") == _strip_token(less)
    assert paper_url(paper) == f"http://testserver{paper.get_absolute_url()}"


def test_a_digest_feedback_pair_is_exactly_the_matching_apps_pair_for_that_paper() -> None:
    subscriber = SubscriberFactory()
    papers = [PaperFactory() for _ in range(3)]
    with time_machine.travel(1_800_000_000, tick=False):
        pairs = feedback_url_pairs(subscriber, [paper.pk for paper in papers])
        assert pairs == [feedback_urls(subscriber=subscriber, paper=paper) for paper in papers]
    assert len({more for more, _ in pairs}) == 3
