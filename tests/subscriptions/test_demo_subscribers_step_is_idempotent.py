from __future__ import annotations

import io

from django.core.management.base import BaseCommand

from subscriptions.demo import DEMO_READERS, step_demo_subscribers
from subscriptions.models import Subscriber
from subscriptions.validation import email_normalise
from tests.factories import TopicFactory


def test_the_demo_step_creates_active_readers_once(db: None) -> None:
    TopicFactory(name="Computer vision", slug="computer-vision")
    command = BaseCommand(stdout=io.StringIO())

    step_demo_subscribers(command)
    step_demo_subscribers(command)

    assert Subscriber.objects.count() == len(DEMO_READERS)
    assert set(Subscriber.objects.values_list("status", flat=True)) == {Subscriber.Status.ACTIVE}
    ada = Subscriber.objects.get(email="ada@demo.example")
    assert [t.slug for t in ada.topics.all()] == ["computer-vision"]
    assert ada.keyword_list
    assert "/manage/" in command.stdout.getvalue()
    for reader in DEMO_READERS:
        assert email_normalise(reader["email"]) == reader["email"]
