"""Small builders shared by the delivery tests."""

from __future__ import annotations

from subscriptions.models import Subscriber
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory


def subscriber_with_matches(n: int = 3, **kwargs: object) -> Subscriber:
    """An active subscriber (send hour 0 UTC, so a digest is due whenever a test runs) with `n`
    fresh matches."""
    kwargs.setdefault("send_hour", 0)
    subscriber = SubscriberFactory(**kwargs)
    for i in range(n):
        MatchFactory(subscriber=subscriber, paper=PaperFactory(), score=0.9 - i / 100)
    return subscriber
