from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from digest.papers.models import Author, Topic
from subscriptions.models import Subscriber
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory


@pytest.fixture
def world(db: None) -> dict[str, object]:
    """Three papers on a topic by a shared author, and a subscriber with two of them matched."""
    topic = TopicFactory(name="Diffusion", slug="diffusion", keywords='diffusion\n"score matching"')
    papers = [
        PaperFactory(
            title=f"Diffusion models, part {i}",
            abstract=f"We train diffusion models with $\\nabla \\log p_{i}$ — ünïcødé survives.",
            authors=["Yann LeCun", f"Coauthor {i}"],
            categories="cs.LG stat.ML",
        )
        for i in range(3)
    ]
    subscriber = SubscriberFactory()
    MatchFactory(subscriber=subscriber, paper=papers[0], score=0.9, why="matches “diffusion”")
    MatchFactory(subscriber=subscriber, paper=papers[1], score=0.5, why="by Yann LeCun")
    author = Author.objects.get(name="Yann LeCun")
    return {"topic": topic, "papers": papers, "subscriber": subscriber, "author": author}


def feed_urls(world: dict[str, object]) -> dict[str, str]:
    topic: Topic = world["topic"]  # type: ignore[assignment]
    author: Author = world["author"]  # type: ignore[assignment]
    subscriber: Subscriber = world["subscriber"]  # type: ignore[assignment]
    urls = {}
    for fmt in ("rss", "atom"):
        urls[f"latest-{fmt}"] = reverse(f"feed-latest-{fmt}")
        urls[f"topic-{fmt}"] = reverse(f"feed-topic-{fmt}", args=[topic.slug])
        urls[f"author-{fmt}"] = reverse(f"feed-author-{fmt}", args=[author.pk])
        urls[f"personal-{fmt}"] = reverse(f"feed-personal-{fmt}", args=[subscriber.feed_token])
    return urls


# How many entries each feed of `world` holds.
EXPECTED_COUNTS = {"latest": 3, "topic": 3, "author": 3, "personal": 2}


@pytest.fixture
def urls(world: dict[str, object]) -> dict[str, str]:
    return feed_urls(world)


FeedUrls = Callable[[dict[str, object]], dict[str, str]]
