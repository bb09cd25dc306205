from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from django.conf import settings

from digest.delivery.models import OutboxStatus, TransactionalEmail
from digest.delivery.services import transactional_email_queue, transactional_email_send
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_queued_mail_goes_out_after_commit_and_a_second_send_does_nothing(
    email_templates: Path, smtp_settings: object, django_capture_on_commit_callbacks: object
) -> None:
    subscriber = SubscriberFactory()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        row = transactional_email_queue(
            subscriber_id=subscriber.pk, to=subscriber.email, name="hello", context={"name": "Ada"}
        )
    smtp_settings.wait_for(1)  # type: ignore[attr-defined]
    assert transactional_email_send(email_id=row.pk) is None  # a duplicated task loses the claim
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    _sender, rcpts, raw = smtp_settings.messages[0]  # type: ignore[attr-defined]
    assert rcpts == [subscriber.email]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Message-ID"] == row.message_id
    assert message["From"] == settings.ACCOUNT_FROM_EMAIL
    assert message.get_body(("plain",)).get_content().startswith("Hello Ada,")
    assert "Hello Ada" in message.get_body(("html",)).get_content()
    assert TransactionalEmail.objects.count() == 1


def test_a_refused_recipient_is_recorded_and_suppressed(email_templates: Path, smtp_settings: object) -> None:
    subscriber = SubscriberFactory()
    smtp_settings.refuse[subscriber.email] = "550 5.1.1 No such user"  # type: ignore[attr-defined]
    row = transactional_email_queue(
        subscriber_id=subscriber.pk, to=subscriber.email, name="hello", context={}
    )
    transactional_email_send(email_id=row.pk)
    row.refresh_from_db()
    subscriber.refresh_from_db()
    assert row.status == OutboxStatus.BOUNCED
    assert subscriber.status == "bounced"
