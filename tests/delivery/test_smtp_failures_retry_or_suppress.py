"""Each SMTP failure mode, against a real aiosmtpd server, counted per recipient at the server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryEvent, OutboxStatus
from digest.delivery.services import digests_queue, digests_send
from subscriptions.models import Subscriber
from tests.conftest import SmtpSink
from tests.delivery.helpers import subscriber_with_matches

pytestmark = pytest.mark.django_db


def _send_all() -> None:
    ids = list(Delivery.objects.values_list("id", flat=True))
    digests_send(delivery_ids=ids)


def _retry_now() -> None:
    # Skip the backoff wait: the rows become due again at once.
    Delivery.objects.filter(status=OutboxStatus.RETRYING).update(next_attempt_at=timezone.now())


@pytest.mark.parametrize("reply", ["451 4.7.1 Try again later", "421 4.3.2 Service shutting down"])
def test_a_temporary_refusal_retries_later_and_delivers_once(smtp_settings: SmtpSink, reply: str) -> None:
    unlucky = subscriber_with_matches(1)
    others = [subscriber_with_matches(1) for _ in range(3)]
    smtp_settings.refuse[unlucky.email] = reply
    digests_queue(now=timezone.now())
    _send_all()
    row = Delivery.objects.get(subscriber=unlucky)
    assert row.status == OutboxStatus.RETRYING
    assert row.next_attempt_at is not None and row.next_attempt_at > timezone.now()
    assert all(smtp_settings.count_for(s.email) == 1 for s in others)

    _send_all()  # not due yet: nothing happens
    assert smtp_settings.count_for(unlucky.email) == 0
    del smtp_settings.refuse[unlucky.email]
    _retry_now()
    _send_all()
    _send_all()
    assert smtp_settings.count_for(unlucky.email) == 1
    assert all(smtp_settings.count_for(s.email) == 1 for s in others)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.may_have_sent) == (OutboxStatus.SENT, 2, False)


def test_a_permanent_refusal_fails_the_row_and_suppresses_the_address(smtp_settings: SmtpSink) -> None:
    gone = subscriber_with_matches(1)
    fine = subscriber_with_matches(1)
    smtp_settings.refuse[gone.email] = "550 5.1.1 No such user"
    digests_queue(now=timezone.now())
    _send_all()
    gone.refresh_from_db()
    assert Delivery.objects.get(subscriber=gone).status == OutboxStatus.BOUNCED
    assert gone.status == Subscriber.Status.BOUNCED
    assert DeliveryEvent.objects.filter(subscriber=gone, kind="hard_bounce").count() == 1
    assert smtp_settings.count_for(fine.email) == 1
    # A later period does not mail a suppressed address.
    Delivery.objects.update(period="2000-01-01")
    digests_queue(now=timezone.now())
    assert not Delivery.objects.filter(subscriber=gone, status=OutboxStatus.QUEUED).exists()


def test_a_server_down_for_a_while_delivers_everything_once_when_back(smtp_settings: SmtpSink) -> None:
    subscribers = [subscriber_with_matches(1) for _ in range(5)]
    digests_queue(now=timezone.now())
    smtp_settings.stop()
    _send_all()
    rows = list(Delivery.objects.all())
    assert {r.status for r in rows} == {OutboxStatus.RETRYING}
    # Only the first row was tried against the dead server; the rest waited without an attempt.
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 0, 1]
    smtp_settings.start()
    _retry_now()
    _send_all()
    assert [smtp_settings.count_for(s.email) for s in subscribers] == [1] * 5
    assert set(Delivery.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_retries_give_up_after_the_limit(smtp_settings: SmtpSink, settings: object) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    stubborn = subscriber_with_matches(1)
    smtp_settings.refuse[stubborn.email] = "452 4.2.2 Mailbox full"
    digests_queue(now=timezone.now())
    for _ in range(5):
        _send_all()
        _retry_now()
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert smtp_settings.count_for(stubborn.email) == 0


def test_a_rejected_message_body_fails_without_suppressing(smtp_settings: SmtpSink) -> None:
    subscriber = subscriber_with_matches(1)
    smtp_settings.data_reply = "554 5.7.1 Message rejected"
    digests_queue(now=timezone.now())
    _send_all()
    subscriber.refresh_from_db()
    assert Delivery.objects.get().status == OutboxStatus.FAILED
    assert subscriber.status == Subscriber.Status.ACTIVE
