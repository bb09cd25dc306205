from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from digest.papers.models import Author, Topic
from subscriptions.models import Subscriber
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory

NOISE = [
    ("Coral reef resilience to heat waves", "Reefs recover from bleaching when water cools."),
    ("Sorting networks of small depth", "We build comparator networks that sort eight inputs."),
    ("Tax policy and household savings", "Households save more when capital gains taxes fall."),
    ("Glacier retreat in the Alps", "Satellite images show glaciers losing mass each summer."),
    ("Compilers for spreadsheet formulas", "Spreadsheet formulas compile to fast vector code."),
    ("Bird song learning in finches", "Young finches copy the songs of adult tutors."),
    ("Dark matter halos in dwarf galaxies", "Rotation curves of dwarf galaxies constrain their halos."),
    ("Prime gaps and the Riemann hypothesis", "Bounds on gaps between consecutive primes."),
    ("Soil bacteria fix nitrogen in drought", "Root nodules keep fixing nitrogen when fields dry out."),
    ("Medieval trade routes of the Baltic", "Ship records trace how grain moved between ports."),
    ("Battery cathodes without cobalt", "Iron phosphate cathodes last thousands of charge cycles."),
    ("Traffic lights that learn from queues", "Signals time their phases from the queues they observe."),
]


@pytest.fixture
def world(db: None) -> dict[str, object]:
    """Three papers on a topic by a shared author, twelve unrelated ones, and a subscriber with two of the
    topic's papers matched."""
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
    # Unrelated papers, so the topic's keyword is distinctive enough for the ranking to pick it.
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract, authors=["Ada Lovelace"], categories="cs.LG stat.ML")
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
EXPECTED_COUNTS = {"latest": 15, "topic": 3, "author": 3, "personal": 2}


@pytest.fixture
def urls(world: dict[str, object]) -> dict[str, str]:
    return feed_urls(world)


FeedUrls = Callable[[dict[str, object]], dict[str, str]]


@pytest.fixture(autouse=True)
def _lexical_matching(settings: object) -> None:
    # These tests are about pages and feeds, not about ranking: skip loading the embedding model.
    settings.MATCH_SEMANTIC = False  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_feed_memos() -> None:
    # The in-process memos outlive a test's database rollback; start each test from an empty one.
    from digest.feeds import views

    views._memo.clear()
    views._modified_memo.clear()
