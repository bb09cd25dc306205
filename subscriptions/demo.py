"""The `manage.py demo` step of the subscriptions app: a few active readers with real interests, so
digests, personal feeds and the admin have someone to serve. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from digest.papers.models import Topic
from subscriptions import links
from subscriptions.models import Subscriber

DEMO_READERS = [
    {
        "email": "ada@demo.example",
        "keywords": ["diffusion", '"image generation"', '"video generation"'],
        "excluded": ["survey"],
        "frequency": Subscriber.Frequency.DAILY,
        "timezone": "Europe/London",
        "topic_words": ["vision", "image", "generat"],
    },
    {
        "email": "grace@demo.example",
        "keywords": ['"large language model"', "reasoning", "agents"],
        "excluded": [],
        "frequency": Subscriber.Frequency.WEEKLY,
        "timezone": "America/New_York",
        "topic_words": ["language", "llm", "nlp", "reason"],
    },
    {
        "email": "alan@demo.example",
        "keywords": ["robot", '"reinforcement learning"', "embodied"],
        "excluded": [],
        "frequency": Subscriber.Frequency.DAILY,
        "timezone": "Asia/Tokyo",
        "topic_words": ["robot", "reinforcement", "agent"],
    },
]


def _topics_for(words: list[str]) -> list[Topic]:
    return [
        topic
        for topic in Topic.objects.all()
        if any(word in f"{topic.name} {topic.slug}".lower() for word in words)
    ][:3]


def step_demo_subscribers(command: BaseCommand) -> None:
    created_ids: list[int] = []
    with transaction.atomic():
        for reader in DEMO_READERS:
            subscriber, created = _reader_ensure(reader)
            if created:
                created_ids.append(subscriber.pk)
            command.stdout.write(
                f"  {subscriber.email} ({'created' if created else 'kept'}): manage at {links.manage_url(subscriber)}"
            )
    if created_ids:
        # Give the new readers matches from the papers already ingested.
        from digest.matching.services import matches_refresh

        matches_refresh(subscriber_ids=created_ids)


def _reader_ensure(reader: dict[str, Any]) -> tuple[Subscriber, bool]:
    subscriber, created = Subscriber.objects.get_or_create(
        email=reader["email"],
        defaults={
            "status": Subscriber.Status.ACTIVE,
            "frequency": reader["frequency"],
            "weekday": 0,
            "timezone": reader["timezone"],
            "keywords": "\n".join(reader["keywords"]),
            "excluded_terms": "\n".join(reader["excluded"]),
            "confirmed_at": timezone.now(),
            "consent_at": timezone.now(),
            "consent_text": "Demo subscriber created by `manage.py demo`.",
        },
    )
    if created:
        subscriber.topics.set(_topics_for(reader["topic_words"]))
    return subscriber, created
