"""A message that went out is recorded as sent before the sender pauses for the rate limit: a
worker dying during that pause must not leave a delivered digest in "sending", which recovery
would send again."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from digest.delivery.models import Delivery, OutboxStatus
from digest.delivery.services import digests_queue, digests_send
from tests.conftest import SmtpSink
from tests.delivery.helpers import subscriber_with_matches

pytestmark = pytest.mark.django_db


def test_every_delivered_digest_is_recorded_sent_whenever_the_rate_limit_pauses(
    smtp_settings: SmtpSink, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DELIVERY_RATE_PER_SECOND = 1  # type: ignore[attr-defined]
    subscribers = [subscriber_with_matches(1) for _ in range(3)]
    digests_queue(now=timezone.now())
    ids = list(Delivery.objects.values_list("id", flat=True))

    pauses: list[tuple[set[str], set[str]]] = []
    real_sleep = time.sleep

    def observed_sleep(seconds: float) -> None:
        delivered = {rcpts[0] for _sender, rcpts, _raw in smtp_settings.messages}
        recorded = set(
            Delivery.objects.filter(status=OutboxStatus.SENT).values_list("subscriber__email", flat=True)
        )
        pauses.append((delivered, recorded))
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", observed_sleep)
    report = digests_send(delivery_ids=ids)

    assert report.sent == 3
    # One a second for three messages: at least one pause comes after a message went out.
    assert any(delivered for delivered, _ in pauses)
    for delivered, recorded in pauses:
        assert delivered <= recorded
    for subscriber in subscribers:
        assert smtp_settings.count_for(subscriber.email) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
