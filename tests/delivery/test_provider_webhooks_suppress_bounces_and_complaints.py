"""Bounces and complaints through django-anymail's tracking webhook (Postmark's payload format)."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryEvent, OutboxStatus
from digest.delivery.selectors import delivery_health
from digest.delivery.services import digests_due
from subscriptions.models import Subscriber
from tests.delivery.helpers import subscriber_with_matches
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
_ids = itertools.count(1000)


@pytest.fixture
def webhook(settings: object, client: Client):  # type: ignore[no-untyped-def]
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}  # type: ignore[attr-defined]
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()

    def post(record_type: str, email: str, kind: str | None = None, event_id: int | None = None) -> int:
        payload: dict[str, object] = {"RecordType": record_type, "Email": email, "Recipient": email}
        if kind:
            payload.update({"Type": kind, "ID": event_id or next(_ids), "BouncedAt": "2026-01-01T08:00:00Z"})
        else:
            payload.update({"MessageID": "x", "DeliveredAt": "2026-01-01T08:00:00Z"})
        response = client.post(
            "/anymail/postmark/tracking/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        return response.status_code

    return post


def test_one_hard_bounce_suppresses(webhook) -> None:  # type: ignore[no-untyped-def]
    subscriber = SubscriberFactory()
    assert webhook("Bounce", subscriber.email.upper(), "HardBounce") == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_one_complaint_suppresses(webhook) -> None:  # type: ignore[no-untyped-def]
    subscriber = SubscriberFactory()
    webhook("SpamComplaint", subscriber.email, "SpamComplaint")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_soft_bounces_suppress_after_a_run_and_a_delivery_resets_the_run(webhook) -> None:  # type: ignore[no-untyped-def]
    subscriber = SubscriberFactory()
    webhook("Bounce", subscriber.email, "SoftBounce")
    webhook("Bounce", subscriber.email, "SoftBounce")
    webhook("Delivery", subscriber.email)
    webhook("Bounce", subscriber.email, "SoftBounce")
    webhook("Bounce", subscriber.email, "SoftBounce")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    webhook("Bounce", subscriber.email, "SoftBounce")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_a_redelivered_webhook_counts_once(webhook) -> None:  # type: ignore[no-untyped-def]
    subscriber = SubscriberFactory()
    for _ in range(3):
        webhook("Bounce", subscriber.email, "SoftBounce", event_id=7)
    subscriber.refresh_from_db()
    assert subscriber.soft_bounces == 1
    assert DeliveryEvent.objects.count() == 1


def test_a_webhook_without_the_secret_is_refused(webhook, client: Client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/anymail/postmark/tracking/", "{}", content_type="application/json")
    assert response.status_code in (400, 401, 403)
    assert DeliveryEvent.objects.count() == 0


def test_the_complaint_rate_warns_at_a_tenth_of_a_percent_and_pauses_at_three_tenths(webhook) -> None:  # type: ignore[no-untyped-def]
    subscribers = SubscriberFactory.create_batch(3)
    now = timezone.now()
    sent = [
        Delivery(
            subscriber=subscribers[i % 3],
            period=date(2020, 1, 1) + timedelta(days=i),
            status=OutboxStatus.SENT,
            sent_at=now,
            covers_since=now,
            covers_until=now,
        )
        for i in range(1000)
    ]
    Delivery.objects.bulk_create(sent[:1000])
    webhook("SpamComplaint", subscribers[0].email, "SpamComplaint")
    health = delivery_health()
    assert (health.sent_last_day, health.complaints_last_day, health.warning, health.paused) == (
        1000,
        1,
        True,
        False,
    )
    webhook("SpamComplaint", subscribers[1].email, "SpamComplaint")
    webhook("SpamComplaint", subscribers[2].email, "SpamComplaint")
    assert delivery_health().paused

    due = subscriber_with_matches(1)
    result = digests_due()
    assert result.queued == 0
    assert not Delivery.objects.filter(subscriber=due).exists()
