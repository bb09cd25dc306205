"""Writes of the delivery app: queueing, claiming and sending mail, and recording what came back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from digest.db import server_bound_cursor
from digest.delivery import schedule
from digest.delivery.models import (
    CLAIMABLE,
    Delivery,
    DeliveryEvent,
    DeliveryItem,
    OutboxStatus,
    TransactionalEmail,
)
from digest.delivery.rendering import digest_message_bytes
from digest.delivery.selectors import digest_candidates_many, sending_paused
from digest.delivery.transport import (
    Outcome,
    Outgoing,
    Result,
    Transport,
    transport_open,
)
from digest.emails import (
    Rendered,
    address_check,
    dkim_sign_configured,
    email_mime_bytes,
    email_render,
    message_from_rendered,
)
from digest.papers.models import Paper
from subscriptions.models import Subscriber

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


def transactional_recover(*, now: datetime) -> int:
    """Account mail whose task was lost (a broker restart) is enqueued again; one left "sending" by a
    crash past the lease goes back to the queue marked `may_have_sent`. Returns how many were
    enqueued."""
    lease = now - timedelta(seconds=settings.DELIVERY_SENDING_LEASE_SECONDS)
    TransactionalEmail.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=lease).update(
        status=OutboxStatus.RETRYING, may_have_sent=True, next_attempt_at=now
    )
    stale = now - timedelta(seconds=settings.DELIVERY_REDISPATCH_SECONDS)
    ids = list(
        TransactionalEmail.objects.filter(status__in=CLAIMABLE, created_at__lt=stale)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=stale))
        .values_list("id", flat=True)[:1000]
    )
    from digest.delivery.tasks import transactional_email_send_task

    for email_id in ids:
        transactional_email_send_task.delay_on_commit(email_id)
    return len(ids)


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
    rows.update(
        status=OutboxStatus.RETRYING, next_attempt_at=retry_at, last_error=result.detail[:500], **extra
    )
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


# --- Digests ------------------------------------------------------------------------------------

_LOCK_NAMESPACE = 0x6467  # "dg": the first key of our two-key advisory locks


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _rows_lock(ids: list[int]) -> list[int]:
    """Session locks on the rows this worker will send. They survive the per-message commits and
    die with the connection, so after a crash (SIGKILL, OOM, lost host) an unlocked row in
    "sending" is provably orphaned. Rows another live worker holds are left to it."""
    if not ids or not _postgres():
        return ids
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s, id::int)",
            [ids, _LOCK_NAMESPACE],
        )
        return [row[0] for row in cursor.fetchall()]


def _rows_unlock(ids: list[int]) -> None:
    if not ids or not _postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, id::int) FROM unnest(%s::bigint[]) AS id", [_LOCK_NAMESPACE, ids]
        )


def deliveries_recover(*, now: datetime | None = None) -> int:
    """Rows left in "sending" by a crashed worker go back to the queue, marked `may_have_sent`:
    the crash happened while that one message was on the wire. Returns how many were found."""
    now = now or timezone.now()
    stuck = Delivery.objects.filter(status=OutboxStatus.SENDING)
    if not _postgres():
        stuck = stuck.filter(claimed_at__lt=now - timedelta(seconds=settings.DELIVERY_SENDING_LEASE_SECONDS))
    ids = list(stuck.values_list("id", flat=True)[:10000])
    locked = _rows_lock(ids)
    try:
        recovered = Delivery.objects.filter(id__in=locked, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.RETRYING, may_have_sent=True, next_attempt_at=now, enqueued_at=now
        )
    finally:
        _rows_unlock(locked)
    if recovered:
        logger.warning(
            "%s digest(s) were interrupted in transmission by a crash: may have been sent", recovered
        )
        from digest.delivery.tasks import digests_send_task

        for chunk in _chunks(locked):
            digests_send_task.delay_on_commit(chunk)
    return recovered


def _chunks(ids: list[int]) -> list[list[int]]:
    size = settings.DELIVERY_CHUNK_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True, slots=True)
class DueResult:
    queued: int
    dispatched: int
    recovered: int


def digests_queue(*, now: datetime) -> int:
    """Insert one queued Delivery for every mailable subscriber whose period has no digest yet.
    The unique (subscriber, period) constraint makes concurrent or repeated runs harmless."""
    from subscriptions.models import Subscriber

    last = Delivery.objects.filter(subscriber_id=OuterRef("pk"))
    subscribers = (
        Subscriber.objects.mailable()
        .annotate(
            last_period=Subquery(last.order_by("-period").values("period")[:1]),
            last_until=Subquery(
                last.exclude(status__in=(OutboxStatus.FAILED, OutboxStatus.BOUNCED))
                .order_by("-covers_until")
                .values("covers_until")[:1]
            ),
        )
        .values_list("pk", "timezone", "frequency", "weekday", "send_hour", "last_period", "last_until")
        .order_by("pk")
    )
    # A period depends only on the schedule (zone, frequency, weekday, hour), which subscribers
    # share: each is worked out once.
    periods: dict[tuple[str, str, int, int], schedule.Period] = {}
    rows: list[tuple[int, date, datetime]] = []
    for pk, tz_name, frequency, weekday, send_hour, last_period, last_until in subscribers.iterator(2000):
        key = (tz_name, frequency, weekday, send_hour)
        period = periods.get(key)
        if period is None:
            period = periods[key] = schedule.period_current(
                now=now, timezone_name=tz_name, frequency=frequency, weekday=weekday, send_hour=send_hour
            )
        if not schedule.digest_due(period=period, last_period_day=last_period):
            continue
        rows.append((pk, period.day, last_until or (now - period.length)))
    for start in range(0, len(rows), 10000):
        _deliveries_insert(rows[start : start + 10000], now=now)
    return len(rows)


def _deliveries_insert(rows: list[tuple[int, date, datetime]], *, now: datetime) -> None:
    """Queued Delivery rows (subscriber, period, covers since) covering until `now`; a period that
    already has its row is left alone."""
    if connection.vendor == "postgresql":
        # One row per subscriber: as binary array parameters a 100,000-subscriber tick costs the
        # client a fraction of a second, where model instances cost ten.
        with server_bound_cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Delivery._meta.db_table} (subscriber_id, period, covers_since, covers_until,
                    created_at, enqueued_at, status, attempts, may_have_sent, last_error, subject)
                SELECT s, p, c, %b, %b, %b, %b, 0, false, '', ''
                FROM unnest(%b::bigint[], %b::date[], %b::timestamptz[]) AS r(s, p, c)
                ON CONFLICT DO NOTHING
                """,
                [
                    now,
                    now,
                    now,
                    str(OutboxStatus.QUEUED),
                    *(list(column) for column in zip(*rows, strict=True)),
                ],
            )
        return
    Delivery.objects.bulk_create(
        [
            Delivery(
                subscriber_id=pk,
                period=day,
                covers_since=since,
                covers_until=now,
                created_at=now,
                enqueued_at=now,
            )
            for pk, day, since in rows
        ],
        ignore_conflicts=True,
    )


def deliveries_dispatch(*, now: datetime, fresh_since: datetime | None = None) -> int:
    """Enqueue chunk tasks for rows queued in this run (`enqueued_at >= fresh_since`) and for rows
    whose task must have been lost (a broker restart): claimable and not enqueued for a while."""
    stale = now - timedelta(seconds=settings.DELIVERY_REDISPATCH_SECONDS)
    condition = Q(enqueued_at__lte=stale)
    if fresh_since is not None:
        condition |= Q(enqueued_at__gte=fresh_since)
    rows = list(
        Delivery.objects.claimable(now).filter(condition).order_by("id").values_list("id", "enqueued_at")
    )
    if not rows:
        return 0
    ids = [pk for pk, _ in rows]
    lost = [pk for pk, enqueued_at in rows if enqueued_at <= stale]
    Delivery.objects.filter(id__in=lost, enqueued_at__lte=stale).update(enqueued_at=now)
    from digest.delivery.tasks import digests_send_task

    for chunk in _chunks(ids):
        digests_send_task.delay_on_commit(chunk)
    return len(ids)


def digests_due(*, now: datetime | None = None, dry_run: bool = False) -> DueResult:
    """The periodic job: recover crashed rows, queue due digests, fan out chunk tasks."""
    tick = timezone.now()
    now = now or tick
    if dry_run:
        with transaction.atomic():
            queued = digests_queue(now=now)
            transaction.set_rollback(True)
        return DueResult(queued=queued, dispatched=0, recovered=0)
    recovered = deliveries_recover(now=now)
    transactional_recover(now=now)
    if sending_paused():
        logger.error("digest sending is paused: the complaint rate of the last day is too high")
        return DueResult(queued=0, dispatched=0, recovered=recovered)
    queued = digests_queue(now=now)
    dispatched = deliveries_dispatch(now=now, fresh_since=now)
    return DueResult(queued=queued, dispatched=dispatched, recovered=recovered)


def deliveries_prepare(*, delivery_ids: list[int]) -> None:
    """Freeze the papers of each digest not prepared yet, for the whole chunk at once; a digest with
    nothing good is skipped (the period is done, no email)."""
    now = timezone.now()
    rows = list(
        Delivery.objects.filter(id__in=delivery_ids, prepared_at__isnull=True, status__in=CLAIMABLE)
        .order_by("id")
        .values_list("id", "subscriber_id", "covers_since", "covers_until", "subscriber__papers_per_digest")
    )
    if not rows:
        return
    candidates = digest_candidates_many(
        windows={subscriber_id: (since, until) for _, subscriber_id, since, until, _ in rows},
        limit=max(max(1, size) for *_, size in rows),
    )
    items: list[tuple[int, int, int, float, str]] = []
    empty: list[int] = []
    for pk, subscriber_id, _, _, size in rows:
        picked = candidates.get(subscriber_id, [])[: max(1, size)]
        if not picked:
            empty.append(pk)
        items.extend(
            (pk, match.paper_id, position, match.score, (match.why or "")[:500])
            for position, match in enumerate(picked)
        )
    with transaction.atomic():
        _items_insert(items)
        Delivery.objects.filter(pk__in=empty, prepared_at__isnull=True).update(
            status=OutboxStatus.SKIPPED, prepared_at=now
        )
        Delivery.objects.filter(pk__in=[pk for pk, *_ in rows], prepared_at__isnull=True).update(
            prepared_at=now
        )


def _items_insert(items: list[tuple[int, int, int, float, str]]) -> None:
    """DeliveryItem rows (delivery, paper, position, score, why); one already there is kept."""
    if not items:
        return
    if connection.vendor == "postgresql":
        # Ten rows a digest: as binary array parameters they cost the client almost nothing.
        with server_bound_cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {DeliveryItem._meta.db_table} (delivery_id, paper_id, position, score, why)
                SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::smallint[], %b::float8[], %b::varchar[])
                ON CONFLICT DO NOTHING
                """,
                [list(column) for column in zip(*items, strict=True)],
            )
        return
    DeliveryItem.objects.bulk_create(
        [
            DeliveryItem(delivery_id=pk, paper_id=paper_id, position=position, score=score, why=why)
            for pk, paper_id, position, score, why in items
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )


def _rate_wait(before_sleeping: Callable[[], None]) -> None:
    """Pace sends across all workers with a per-second counter in the shared cache. Calls
    `before_sleeping` before any pause, so the caller can make its pending writes durable first."""
    rate = settings.DELIVERY_RATE_PER_SECOND
    if rate <= 0:
        return
    from django.core.cache import cache

    while True:
        second = int(time.time())
        key = f"delivery:rate:{second}"
        try:
            cache.add(key, 0, timeout=5)
            count = cache.incr(key)
        except Exception:
            before_sleeping()
            time.sleep(1 / rate)
            return
        if count <= rate:
            return
        before_sleeping()
        time.sleep(max(0.0, second + 1 - time.time()))


@dataclass(slots=True)
class ChunkReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    bounced: int = 0
    skipped_locked: int = 0
    render_seconds: float = 0.0
    send_seconds: float = 0.0


def digests_send(*, delivery_ids: list[int]) -> ChunkReport:
    """Send a chunk of digests over one connection, claiming each row just before its message.

    Progress is committed per recipient: claim (status "sending"), transmit, record the outcome. A
    message that went out is recorded by the same statement that claims the next row, so each
    message costs one statement and one durable commit; the last is recorded on its own, and so is
    any other outcome. A duplicate of this task finds the rows locked or already claimed and sends
    nothing.
    """
    report = ChunkReport()
    if sending_paused():
        logger.error("digest sending is paused: the complaint rate of the last day is too high")
        return report
    mine = _rows_lock(sorted(set(delivery_ids)))
    report.skipped_locked = len(set(delivery_ids)) - len(mine)
    transport: Transport | None = None
    # The row whose message went out and whose outcome is not recorded yet.
    sent: Delivery | None = None
    retry_ids: list[tuple[int, datetime]] = []
    try:
        deliveries_prepare(delivery_ids=mine)
        now = timezone.now()
        rows = list(
            Delivery.objects.claimable(now)
            .filter(id__in=mine, prepared_at__isnull=False)
            .select_related("subscriber")
            .prefetch_related("subscriber__topics")
            .order_by("id")
        )
        items = _items_load([row.pk for row in rows])
        # Everything is rendered before the first byte goes out, so nothing but the SMTP dialogue
        # happens between a message's transmission and the commit of its outcome.
        started = time.perf_counter()
        messages = [(row, *digest_message_bytes(delivery=row, items=items.get(row.pk, []))) for row in rows]
        report.render_seconds = time.perf_counter() - started
        sender = envelope_sender(settings.DEFAULT_FROM_EMAIL)

        def sent_record() -> None:
            # A message that went out stays "sending" until recorded; a crash then would resend
            # it. Never wait (for the rate limit) with one unrecorded.
            nonlocal sent
            if sent is not None:
                outcome_record(
                    model=Delivery, pk=sent.pk, attempts=sent.attempts + 1, result=Result(Outcome.SENT)
                )
                report.sent += 1
                sent = None

        for index, (row, raw, subject) in enumerate(messages):
            _rate_wait(sent_record)
            claimed = _delivery_claim(row, subject, sent=sent)
            if sent is not None:
                report.sent += 1
                sent = None
            if not claimed:
                report.failed += _delivery_void(row)
                continue
            if transport is None:
                transport = transport_open()
            started = time.perf_counter()
            result = transport.send(
                Outgoing(
                    sender=sender,
                    recipient=row.subscriber.email,
                    raw=raw,
                    django_message=_django_message_from_raw(raw, row.subscriber.email),
                )
            )
            report.send_seconds += time.perf_counter() - started
            if result.outcome is Outcome.SENT:
                sent = row
                continue
            # The server is unreachable: the rest of the chunk waits with this row instead of each
            # recipient timing out in turn. Not an attempt for them.
            unreachable = result.outcome is Outcome.TRANSIENT and result.unreachable
            rest = [r.pk for r, _, _ in messages[index + 1 :]] if unreachable else []
            with transaction.atomic():
                retry_at = _failure_record(row, result, report, retry_ids)
                Delivery.objects.filter(id__in=rest, status__in=CLAIMABLE).update(
                    status=OutboxStatus.RETRYING, next_attempt_at=retry_at
                )
            if unreachable:
                if retry_at is not None:
                    retry_ids.extend((pk, retry_at) for pk in rest)
                    report.retrying += len(rest)
                break
        sent_record()
        _retries_schedule(retry_ids)
    finally:
        if transport is not None:
            transport.close()
        _rows_unlock(mine)
    return report


@dataclass(frozen=True, slots=True)
class FrozenItem:
    """A digest entry as rendering reads it; a paper object is shared by every digest of a chunk."""

    paper_id: int
    paper: Paper
    position: int
    score: float
    why: str


def _items_load(delivery_ids: list[int]) -> dict[int, list[FrozenItem]]:
    rows = list(
        DeliveryItem.objects.filter(delivery_id__in=delivery_ids)
        .order_by("delivery_id", "position")
        .values_list("delivery_id", "paper_id", "position", "score", "why")
    )
    papers = Paper.objects.in_bulk({paper_id for _, paper_id, _, _, _ in rows})
    result: dict[int, list[FrozenItem]] = {}
    for delivery_id, paper_id, position, score, why in rows:
        result.setdefault(delivery_id, []).append(
            FrozenItem(paper_id, papers[paper_id], position, score, why)
        )
    return result


def _delivery_claim(row: Delivery, subject: str, *, sent: Delivery | None) -> bool:
    """The conditional UPDATE: still waiting, and the subscriber still wants mail (an unsubscribe
    after the row was queued wins). It also records `sent`, the previous row, as sent: one statement,
    so one commit, per message, and the claim and the previous outcome are durable together."""
    now = timezone.now()
    with server_bound_cursor(prepare=True) as cursor:
        cursor.execute(
            _CLAIM_SQL,
            [now, now, subject, sent.pk if sent is not None else None, row.pk, Subscriber.Status.ACTIVE],
        )
        return any(pk == row.pk for (pk,) in cursor.fetchall())


_CLAIM_SQL = f"""
UPDATE {Delivery._meta.db_table} SET
    status = CASE WHEN status = '{OutboxStatus.SENDING}' THEN '{OutboxStatus.SENT}' ELSE '{OutboxStatus.SENDING}' END,
    sent_at = CASE WHEN status = '{OutboxStatus.SENDING}' THEN %s ELSE sent_at END,
    last_error = CASE WHEN status = '{OutboxStatus.SENDING}' THEN '' ELSE last_error END,
    claimed_at = CASE WHEN status = '{OutboxStatus.SENDING}' THEN claimed_at ELSE %s END,
    attempts = CASE WHEN status = '{OutboxStatus.SENDING}' THEN attempts ELSE attempts + 1 END,
    subject = CASE WHEN status = '{OutboxStatus.SENDING}' THEN subject ELSE %s END
WHERE (id = %s AND status = '{OutboxStatus.SENDING}')
    OR (
        id = %s AND status IN ({", ".join(f"'{status}'" for status in CLAIMABLE)})
        AND EXISTS (
            SELECT 1 FROM {Subscriber._meta.db_table} s
            WHERE s.id = {Delivery._meta.db_table}.subscriber_id AND s.status = %s
        )
    )
RETURNING id
"""


def _delivery_void(row: Delivery) -> int:
    """A row that lost its claim because its subscriber left is closed; returns 1 if it was."""
    return (
        Delivery.objects.filter(pk=row.pk, status__in=CLAIMABLE)
        .exclude(subscriber__status=Subscriber.Status.ACTIVE)
        .update(status=OutboxStatus.FAILED, last_error="subscriber no longer active")
    )


def _failure_record(
    row: Delivery, result: Result, report: ChunkReport, retry_ids: list[tuple[int, datetime]]
) -> datetime | None:
    """Any outcome but sent: bounced, retry later, or given up."""
    retry_at = outcome_record(model=Delivery, pk=row.pk, attempts=row.attempts + 1, result=result)
    if result.outcome is Outcome.HARD_BOUNCE:
        report.bounced += 1
        address_hard_bounced(
            subscriber_id=row.subscriber_id, recipient=row.subscriber.email, detail=result.detail
        )
    elif retry_at is not None:
        report.retrying += 1
        retry_ids.append((row.pk, retry_at))
    else:
        report.failed += 1
    return retry_at


def _retries_schedule(retry_ids: list[tuple[int, datetime]]) -> None:
    if not retry_ids:
        return
    from digest.delivery.tasks import digests_send_task

    now = timezone.now()
    Delivery.objects.filter(id__in=[pk for pk, _ in retry_ids]).update(enqueued_at=now)
    # One task per chunk, due at the latest retry time of its rows.
    ids = [pk for pk, _ in retry_ids]
    countdown = max((at - now).total_seconds() for _, at in retry_ids)
    digests_send_task.apply_async(args=[ids], countdown=max(countdown, 0))


def _django_message_from_raw(raw: bytes, to: str) -> Callable[[], EmailMessage]:
    """For Django backends (the test outbox): the same message, parsed back from its bytes."""

    def build() -> EmailMessage:
        import email
        import email.policy

        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        text = parsed.get_body(("plain",))
        html = parsed.get_body(("html",))
        skip = {"from", "to", "subject", "mime-version", "content-type", "content-transfer-encoding"}
        message = EmailMultiAlternatives(
            subject=str(parsed["Subject"]),
            body=text.get_content() if text else "",
            from_email=str(parsed["From"]),
            to=[to],
            headers={k: str(v) for k, v in parsed.items() if k.lower() not in skip},
        )
        if html is not None:
            message.attach_alternative(html.get_content(), "text/html")
        return message

    return build


def _bounce_is_soft(event: object) -> bool:
    """Providers that report soft bounces as "bounced" say so in their own payload."""
    raw = getattr(event, "esp_event", None)
    if not isinstance(raw, dict):
        return False
    if raw.get("Type") in {"SoftBounce", "Transient", "DnsError"}:  # Postmark
        return True
    if raw.get("severity") == "temporary":  # Mailgun
        return True
    bounce = raw.get("bounce") if isinstance(raw.get("bounce"), dict) else {}
    return bounce.get("bounceType") == "Transient"  # Amazon SES


def provider_event_record(*, event: object, esp_name: str) -> DeliveryEvent | None:
    """A tracking event from django-anymail's webhooks. One hard bounce or one complaint suppresses
    the address; soft bounces do after DELIVERY_SOFT_BOUNCE_LIMIT in a row; a delivery ends the run."""
    from anymail.signals import EventType

    from subscriptions.models import Subscriber
    from subscriptions.services import subscriber_suppress

    event_type = getattr(event, "event_type", None)
    if event_type == EventType.COMPLAINED:
        kind = DeliveryEvent.Kind.COMPLAINT
    elif event_type == EventType.BOUNCED:
        kind = DeliveryEvent.Kind.SOFT_BOUNCE if _bounce_is_soft(event) else DeliveryEvent.Kind.HARD_BOUNCE
    elif event_type == EventType.DEFERRED:
        kind = DeliveryEvent.Kind.SOFT_BOUNCE
    elif event_type == EventType.REJECTED and getattr(event, "reject_reason", None) == "invalid":
        kind = DeliveryEvent.Kind.HARD_BOUNCE
    elif event_type == EventType.DELIVERED:
        kind = DeliveryEvent.Kind.DELIVERED
    else:
        return None
    recipient = (getattr(event, "recipient", None) or "").strip()
    subscriber = Subscriber.objects.filter(email__iexact=recipient).first() if recipient else None
    event_id = getattr(event, "event_id", None)
    fields = {
        "kind": kind,
        "recipient": recipient[:254],
        "subscriber": subscriber,
        "source": esp_name[:32],
        "detail": (getattr(event, "description", None) or getattr(event, "mta_response", None) or "")[:500],
    }
    with transaction.atomic():
        if event_id:
            # A webhook the provider delivers again is recorded (and acted on) once.
            record, created = DeliveryEvent.objects.get_or_create(
                provider_event_id=f"{esp_name}:{event_id}"[:200], defaults=fields
            )
        else:
            record, created = DeliveryEvent.objects.create(**fields), True
        if not created or subscriber is None:
            return record
        if kind == DeliveryEvent.Kind.COMPLAINT:
            subscriber_suppress(subscriber_id=subscriber.pk, reason="complained")
        elif kind == DeliveryEvent.Kind.HARD_BOUNCE:
            subscriber_suppress(subscriber_id=subscriber.pk, reason="bounced")
        elif kind == DeliveryEvent.Kind.SOFT_BOUNCE:
            Subscriber.objects.filter(pk=subscriber.pk).update(soft_bounces=F("soft_bounces") + 1)
            subscriber.refresh_from_db(fields=["soft_bounces"])
            if subscriber.soft_bounces >= settings.DELIVERY_SOFT_BOUNCE_LIMIT:
                subscriber_suppress(subscriber_id=subscriber.pk, reason="bounced")
        elif kind == DeliveryEvent.Kind.DELIVERED:
            Subscriber.objects.filter(pk=subscriber.pk, soft_bounces__gt=0).update(soft_bounces=0)
    return record
