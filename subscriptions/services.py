"""Every write to a subscriber: signup, confirmation, preferences, status changes, email change, delete.

Emails go through the outbox (`transactional_email_queue`), which sends after the transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from digest.papers.models import Author, Paper, Topic
from subscriptions import links, ratelimit
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)

Status = Subscriber.Status
# Statuses someone leaves only by confirming anew; never mailed anything they did not just ask for.
OUT_STATUSES = {Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED}
SignupOutcome = Literal["confirmation-sent", "manage-link-sent", "rate-limited"]


@dataclass
class Preferences:
    """What the subscribe and manage forms edit; `None` interests mean "leave as they are"."""

    frequency: str = Subscriber.Frequency.DAILY
    weekday: int = 0
    send_hour: int = 8
    timezone: str = "UTC"
    papers_per_digest: int = 10
    email_format: str = Subscriber.EmailFormat.HTML
    topics: list[Topic] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    excluded_terms: list[str] | None = None
    followed_authors: list[Author] | None = None
    example_papers: list[Paper] | None = None


def address_hash(email: str) -> str:
    """Binds an email-change token to one new address without putting the address in the link."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{email.lower()}".encode()).hexdigest()[:32]


def _email_queue(
    *, subscriber: Subscriber, to: str, name: str, context: dict[str, object], limited: bool = True
) -> bool:
    """Queue an account mail. `limited` mails are ones a stranger could trigger by typing an address;
    they count against the per-address limit so nobody can mail-bomb an inbox through us."""
    if limited and not ratelimit.address_allowed(email=to):
        logger.info("mail %s to subscriber %s skipped: address rate limit", name, subscriber.pk)
        return False
    from digest.delivery.services import transactional_email_queue

    # A mail to an address that is not (yet) the subscriber's is not linked to them: if a mistyped new
    # address bounces, the delivery app must not suppress the subscription at the working address.
    linked = subscriber.pk if to.lower() == subscriber.email.lower() else None
    transactional_email_queue(subscriber_id=linked, to=to, name=name, context=context)
    return True


def _preferences_apply(subscriber: Subscriber, prefs: Preferences) -> None:
    subscriber.frequency = prefs.frequency
    subscriber.weekday = prefs.weekday
    subscriber.send_hour = prefs.send_hour
    subscriber.timezone = prefs.timezone
    subscriber.papers_per_digest = prefs.papers_per_digest
    subscriber.email_format = prefs.email_format
    subscriber.keywords = "\n".join(prefs.keywords)
    if prefs.excluded_terms is not None:
        subscriber.excluded_terms = "\n".join(prefs.excluded_terms)
    subscriber.save()
    subscriber.topics.set(prefs.topics)
    if prefs.followed_authors is not None:
        subscriber.followed_authors.set(prefs.followed_authors)
    if prefs.example_papers is not None:
        subscriber.example_papers.set(prefs.example_papers)


def _matches_refresh(subscriber: Subscriber) -> None:
    """Re-rank after interests change, after the commit (a worker, or in-process when embedded)."""
    from digest.matching.tasks import matches_refresh_task  # matching imports subscriptions' models

    matches_refresh_task.delay_on_commit([subscriber.pk])


def confirm_email_send(*, subscriber: Subscriber) -> bool:
    return _email_queue(
        subscriber=subscriber,
        to=subscriber.email,
        name="confirm",
        context={
            "confirm_url": links.confirm_url(subscriber),
            "max_age_days": settings.SUBSCRIBE_CONFIRM_MAX_AGE_DAYS,
        },
    )


def manage_link_send(*, subscriber: Subscriber) -> bool:
    return _email_queue(
        subscriber=subscriber,
        to=subscriber.email,
        name="manage-link",
        context={
            "manage_url": links.manage_url(subscriber),
            "unsubscribe_url": links.unsubscribe_url(subscriber),
        },
    )


@transaction.atomic
def subscriber_signup(
    *, email: str, preferences: Preferences, ip: str | None, user_agent: str, consent_text: str
) -> SignupOutcome:
    """Handle a subscribe form whose address may be new, pending, active or gone.

    The caller shows the same page whatever this returns, so nobody learns who subscribes. An active
    or paused address is left untouched (a stranger may have typed it) and gets its manage link; any
    other gets a confirmation link and the submitted preferences, which only take effect on confirm.
    """
    subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(email=email, status=Status.PENDING)
        except IntegrityError:
            # A concurrent signup for the same address won the insert; carry on with its row.
            subscriber = Subscriber.objects.select_for_update().get(email__iexact=email)
    if subscriber.status in {Status.ACTIVE, Status.PAUSED}:
        return "manage-link-sent" if manage_link_send(subscriber=subscriber) else "rate-limited"
    _preferences_apply(subscriber, preferences)
    subscriber.consent_at = timezone.now()
    subscriber.consent_ip = ip
    subscriber.consent_user_agent = user_agent[:500]
    subscriber.consent_text = consent_text
    subscriber.save(update_fields=["consent_at", "consent_ip", "consent_user_agent", "consent_text"])
    return "confirmation-sent" if confirm_email_send(subscriber=subscriber) else "rate-limited"


@transaction.atomic
def subscriber_confirm(*, subscriber_id: int) -> Subscriber:
    """Activate a pending or departed subscriber; harmless on an active or paused one."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if subscriber.status in {Status.ACTIVE, Status.PAUSED}:
        return subscriber
    now = timezone.now()
    if subscriber.status in OUT_STATUSES:
        # Links from before they left stop working: a fresh start gets fresh links.
        subscriber.token_version = F("token_version") + 1
    first_time = subscriber.confirmed_at is None
    subscriber.status = Status.ACTIVE
    subscriber.status_reason = ""
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.paused_at = None
    subscriber.soft_bounces = 0
    subscriber.save()
    subscriber.refresh_from_db()
    feed_rss, feed_atom = links.personal_feed_urls(subscriber)
    # Not rate limited: only someone holding the confirmation link (the inbox owner) triggers it.
    _email_queue(
        subscriber=subscriber,
        limited=False,
        to=subscriber.email,
        name="welcome",
        context={
            "first_time": first_time,
            "manage_url": links.manage_url(subscriber),
            "unsubscribe_url": links.unsubscribe_url(subscriber),
            "feed_rss_url": feed_rss,
            "feed_atom_url": feed_atom,
        },
    )
    _matches_refresh(subscriber)
    return subscriber


@transaction.atomic
def subscriber_preferences_update(*, subscriber_id: int, preferences: Preferences) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    _preferences_apply(subscriber, preferences)
    _matches_refresh(subscriber)
    return subscriber


def _status_set(
    subscriber_id: int, *, status: str, reason: str, from_statuses: set[str] | set[Status]
) -> bool:
    """Conditional UPDATE, so a concurrent change (say, a bounce during an unsubscribe) is not lost."""
    now = timezone.now()
    fields: dict[str, object] = {"status": status, "status_reason": reason}
    if status in OUT_STATUSES:
        fields["unsubscribed_at"] = now
    if status == Status.PAUSED:
        fields["paused_at"] = now
    if status == Status.ACTIVE:
        fields["paused_at"] = None
    changed = Subscriber.objects.filter(pk=subscriber_id, status__in=from_statuses).update(**fields)
    return changed == 1


def subscriber_pause(*, subscriber_id: int) -> bool:
    return _status_set(subscriber_id, status=Status.PAUSED, reason="paused", from_statuses={Status.ACTIVE})


def subscriber_resume(*, subscriber_id: int) -> bool:
    return _status_set(subscriber_id, status=Status.ACTIVE, reason="", from_statuses={Status.PAUSED})


def subscriber_unsubscribe(*, subscriber_id: int, source: str) -> bool:
    """Stop all mail at once. Does not bump token_version: clicking the same link again must still
    say "you're unsubscribed", and the manage link keeps working to resubscribe. Returns whether the
    status changed (False when already out, or unknown)."""
    return _status_set(
        subscriber_id,
        status=Status.UNSUBSCRIBED,
        reason=source[:32],
        from_statuses={Status.PENDING, Status.ACTIVE, Status.PAUSED},
    )


def subscriber_suppress(*, subscriber_id: int, reason: str) -> bool:
    """A hard bounce or a spam complaint reported by the mail provider. A complaint overrides every
    other status; a bounce overrides all but a complaint."""
    if reason not in {Status.BOUNCED, Status.COMPLAINED}:
        raise ValueError(f"reason must be 'bounced' or 'complained', not {reason!r}")
    from_statuses: set[str] = {Status.PENDING, Status.ACTIVE, Status.PAUSED, Status.UNSUBSCRIBED}
    if reason == Status.COMPLAINED:
        from_statuses.add(Status.BOUNCED)
    return _status_set(subscriber_id, status=reason, reason=reason, from_statuses=from_statuses)


def subscriber_feed_token_rotate(*, subscriber_id: int) -> str:
    from subscriptions.models import new_feed_token

    token = new_feed_token()
    Subscriber.objects.filter(pk=subscriber_id).update(feed_token=token)
    return token


@transaction.atomic
def subscriber_email_change_request(*, subscriber_id: int, new_email: str) -> None:
    """Remember the new address and send a confirmation link there; nothing switches until the link
    is used. The response is the same whether or not the address is taken (checked on confirm)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    if new_email.lower() == subscriber.email.lower():
        return
    subscriber.pending_email = new_email
    subscriber.save(update_fields=["pending_email"])
    _email_queue(
        subscriber=subscriber,
        to=new_email,
        name="change-email",
        context={
            "change_url": links.change_email_url(subscriber, address_hash=address_hash(new_email)),
            "max_age_days": settings.SUBSCRIBE_CONFIRM_MAX_AGE_DAYS,
        },
    )


class EmailChangeError(Exception):
    pass


@transaction.atomic
def subscriber_email_change_confirm(*, subscriber_id: int, token_hash: str) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    new_email = subscriber.pending_email
    if not new_email or address_hash(new_email) != token_hash:
        raise EmailChangeError("This link is for an address change that was replaced or already done.")
    if Subscriber.objects.filter(email__iexact=new_email).exclude(pk=subscriber.pk).exists():
        raise EmailChangeError("That address already has its own subscription, so nothing was changed.")
    old_email = subscriber.email
    subscriber.email = new_email
    subscriber.pending_email = ""
    # Links mailed to the old address must not control the subscription any more.
    subscriber.token_version = F("token_version") + 1
    subscriber.save(update_fields=["email", "pending_email", "token_version"])
    subscriber.refresh_from_db()
    # Anyone holding a forwarded digest has a manage link; tell the old inbox so a hijack is noticed.
    local, _, domain = new_email.partition("@")
    _email_queue(
        subscriber=subscriber,
        limited=False,
        to=old_email,
        name="email-changed",
        context={
            "new_email_masked": f"{local[:1]}…@{domain}",
            "reply_to": settings.REPLY_TO_EMAIL,
            "subscribe_url": links.absolute(reverse("subscriptions:subscribe")),
        },
    )
    return subscriber


@transaction.atomic
def subscriber_delete(*, subscriber_id: int) -> None:
    """Delete the subscriber and, through cascades, interests, matches, feedback and digests; account
    mails and bounce records keep the address in their own rows, so those go explicitly."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    from digest.delivery.models import DeliveryEvent, TransactionalEmail

    addresses = [address for address in (subscriber.email, subscriber.pending_email) if address]
    address_q = Q()
    for address in addresses:
        address_q |= Q(to__iexact=address)
    TransactionalEmail.objects.filter(Q(subscriber_id=subscriber_id) | address_q).delete()
    event_q = Q()
    for address in addresses:
        event_q |= Q(recipient__iexact=address)
    DeliveryEvent.objects.filter(Q(subscriber_id=subscriber_id) | event_q).delete()
    subscriber.delete()


def manage_link_request(*, email: str) -> None:
    """ "Email me my manage link": only active and paused subscribers get mail; same response for all."""
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is not None and subscriber.status in {Status.ACTIVE, Status.PAUSED}:
        manage_link_send(subscriber=subscriber)


def confirmation_resend(*, subscriber_id: int) -> None:
    """A fresh confirmation link for someone whose link expired; active ones get their manage link."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    if subscriber.status in {Status.ACTIVE, Status.PAUSED}:
        manage_link_send(subscriber=subscriber)
    elif subscriber.status == Status.PENDING or subscriber.consent_at:
        confirm_email_send(subscriber=subscriber)


def subscribers_pending_purge(*, older_than: timedelta) -> int:
    """Forget addresses that never confirmed: we keep nothing about people who did not opt in.
    Returns how many were deleted."""
    cutoff = timezone.now() - older_than
    stale = Subscriber.objects.filter(status=Status.PENDING, confirmed_at__isnull=True).filter(
        Q(consent_at__lt=cutoff) | Q(consent_at__isnull=True, created_at__lt=cutoff)
    )
    deleted = 0
    for subscriber_id in stale.values_list("pk", flat=True)[:5000]:
        subscriber_delete(subscriber_id=subscriber_id)
        deleted += 1
    return deleted
