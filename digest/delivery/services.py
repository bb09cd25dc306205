"""Writes of the delivery app: queueing, claiming and sending mail, and recording what came back."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from digest.delivery.models import CLAIMABLE, DeliveryEvent, OutboxStatus, TransactionalEmail
from digest.delivery.transport import Outcome, Outgoing, Result, Transport, transport_open
from digest.emails import (
    Rendered,
    address_check,
    dkim_sign_configured,
    email_mime_bytes,
    email_render,
    message_from_rendered,
)

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed try."""
    seconds = settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.DELIVERY_RETRY_MAX_SECONDS))


def envelope_sender(from_email: str) -> str:
    return parseaddr(from_email)[1]


# --- Account mail -------------------------------------------------------------------------------


def transactional_email_queue(
    *, subscriber_id: int | None, to: str, name: str, context: dict[str, object]
) -> TransactionalEmail:
    """Render `name` now (the context may hold model instances) and send it after the commit.

    The row is the outbox record; the task claims it before sending, so a duplicated task sends once.
    """
    rendered = email_render(name=name, context=context)
    row = TransactionalEmail.objects.create(
        subscriber_id=subscriber_id,
        name=name,
        to=address_check(to),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html or "",
    )
    from digest.delivery.tasks import transactional_email_send_task

    transactional_email_send_task.delay_on_commit(row.pk)
    return row


def _claim(model: type[TransactionalEmail], pk: int, now: datetime) -> bool:
    """The conditional UPDATE every sender goes through: exactly one caller gets row count 1."""
    claimed = model.objects.filter(pk=pk, status__in=CLAIMABLE).update(
        status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def transactional_email_send(*, email_id: int, transport: Transport | None = None) -> Result | None:
    """Send one account mail if it is still waiting. Returns None when another worker has it."""
    now = timezone.now()
    if not _claim(TransactionalEmail, email_id, now):
        return None
    row = TransactionalEmail.objects.get(pk=email_id)
    rendered = Rendered(subject=row.subject, text=row.text, html=row.html or None)
    headers: list[tuple[str, str]] = [("Auto-Submitted", "auto-generated")]
    if settings.REPLY_TO_EMAIL:
        headers.append(("Reply-To", settings.REPLY_TO_EMAIL))
    from_email = settings.ACCOUNT_FROM_EMAIL

    def django_message() -> object:
        message = message_from_rendered(
            rendered=rendered,
            to=row.to,
            from_email=from_email,
            headers={"Message-ID": row.message_id, "Auto-Submitted": "auto-generated"},
        )
        return message

    raw = dkim_sign_configured(
        email_mime_bytes(
            rendered=rendered, from_email=from_email, to=row.to, message_id=row.message_id, headers=headers
        )
    )
    own = transport is None
    transport = transport or transport_open()
    try:
        result = transport.send(
            Outgoing(
                sender=envelope_sender(from_email),
                recipient=row.to,
                raw=raw,
                django_message=django_message,  # type: ignore[arg-type]
            )
        )
    finally:
        if own:
            transport.close()
    retry_at = outcome_record(model=TransactionalEmail, pk=row.pk, attempts=row.attempts, result=result)
    if retry_at is not None:
        from digest.delivery.tasks import transactional_email_send_task

        transactional_email_send_task.apply_async(
            args=[row.pk], countdown=(retry_at - timezone.now()).total_seconds()
        )
    if result.outcome is Outcome.HARD_BOUNCE and row.subscriber_id:
        address_hard_bounced(subscriber_id=row.subscriber_id, recipient=row.to, detail=result.detail)
    return result


def outcome_record(
    *, model: type, pk: int, attempts: int, result: Result, in_transmission: bool = True
) -> datetime | None:
    """Move a row out of "sending" by the result of its attempt. Returns when to try again, if so."""
    now = timezone.now()
    rows = model.objects.filter(pk=pk, status=OutboxStatus.SENDING)
    if result.outcome is Outcome.SENT:
        rows.update(status=OutboxStatus.SENT, sent_at=now, last_error="")
        return None
    if result.outcome is Outcome.HARD_BOUNCE:
        rows.update(status=OutboxStatus.BOUNCED, last_error=result.detail[:500])
        return None
    if result.outcome is Outcome.FAILED or attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        rows.update(status=OutboxStatus.FAILED, last_error=result.detail[:500])
        logger.warning("%s %s failed after %s attempts: %s", model.__name__, pk, attempts, result.detail)
        return None
    retry_at = now + retry_delay(attempts)
    extra = {"may_have_sent": True} if result.outcome is Outcome.IN_DOUBT else {}
    rows.update(status=OutboxStatus.RETRYING, next_attempt_at=retry_at, last_error=result.detail[:500], **extra)
    return retry_at


# --- Bounces and complaints ---------------------------------------------------------------------


def address_hard_bounced(*, subscriber_id: int, recipient: str, detail: str, source: str = "smtp") -> None:
    """A 5xx on RCPT or a provider's hard bounce: one is enough to stop mailing the address."""
    from subscriptions.services import subscriber_suppress

    DeliveryEvent.objects.create(
        kind=DeliveryEvent.Kind.HARD_BOUNCE,
        recipient=recipient,
        subscriber_id=subscriber_id,
        source=source,
        detail=detail[:500],
    )
    subscriber_suppress(subscriber_id=subscriber_id, reason="bounced")
