"""Reads of the delivery app."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from digest.db import server_bound_cursor
from digest.delivery.models import Delivery, DeliveryEvent, DeliveryItem, OutboxStatus

# A paper in a digest that is sent, or on its way, counts as sent: the next digest must not repeat it.
_TAKEN = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.RETRYING, OutboxStatus.SENT)


def sent_paper_ids_queryset(subscriber_id: int) -> QuerySet[DeliveryItem, int]:
    """Paper ids already in this subscriber's digests, as a queryset usable in a subquery
    (`Match.objects.exclude(paper_id__in=sent_paper_ids_queryset(s.pk))`)."""
    return DeliveryItem.objects.filter(
        delivery__subscriber_id=subscriber_id, delivery__status__in=_TAKEN
    ).values_list("paper_id", flat=True)


def sent_paper_ids(subscriber_id: int) -> set[int]:
    return set(sent_paper_ids_queryset(subscriber_id))


def sent_paper_ids_many(*, subscriber_ids: Sequence[int], paper_ids: Sequence[int]) -> dict[int, set[int]]:
    """`sent_paper_ids` for a whole chunk of subscribers, among `paper_ids`, in one query (a
    matching chunk asks this for every subscriber it ranks)."""
    found: dict[int, set[int]] = {pk: set() for pk in subscriber_ids}
    if connection.vendor == "postgresql":
        # The ids travel as binary arrays (a run ranks thousands of papers); the digests are
        # reached through the subscriber index, their items through the digest index.
        with server_bound_cursor() as cursor:
            cursor.execute(
                """
                SELECT d.subscriber_id, i.paper_id
                FROM (
                    SELECT id, subscriber_id FROM delivery_delivery
                    WHERE subscriber_id = ANY(%b::bigint[]) AND status = ANY(%b::text[]) OFFSET 0
                ) d
                JOIN delivery_deliveryitem i ON i.delivery_id = d.id
                WHERE i.paper_id = ANY(%b::bigint[])
                """,
                [list(subscriber_ids), [str(status) for status in _TAKEN], list(paper_ids)],
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            DeliveryItem.objects.filter(
                delivery__subscriber_id__in=subscriber_ids,
                delivery__status__in=_TAKEN,
                paper_id__in=paper_ids,
            )
            .order_by()
            .values_list("delivery__subscriber_id", "paper_id")
        )
    for subscriber_id, paper_id in rows:
        found[subscriber_id].add(paper_id)
    return found


@dataclass(frozen=True, slots=True)
class DeliveryHealth:
    sent_last_day: int
    complaints_last_day: int
    complaint_rate: float
    warning: bool  # show a warning in the admin (the large providers' 0.1%)
    paused: bool  # digest sending stops (the providers' 0.3%)
    may_have_sent: int  # rows a crash interrupted in transmission (possibly delivered twice)


def _complaints_since(since: datetime) -> int:
    return DeliveryEvent.objects.filter(kind=DeliveryEvent.Kind.COMPLAINT, created_at__gte=since).count()


def _sent_since(since: datetime) -> int:
    return Delivery.objects.filter(status=OutboxStatus.SENT, sent_at__gte=since).count()


def _complaint_rate(*, complaints: int, sent: int) -> float:
    return complaints / sent if sent else (1.0 if complaints else 0.0)


def delivery_health() -> DeliveryHealth:
    since = timezone.now() - timedelta(days=1)
    sent = _sent_since(since)
    complaints = _complaints_since(since)
    rate = _complaint_rate(complaints=complaints, sent=sent)
    return DeliveryHealth(
        sent_last_day=sent,
        complaints_last_day=complaints,
        complaint_rate=rate,
        warning=complaints > 0 and rate >= settings.DELIVERY_COMPLAINT_WARN_RATE,
        paused=complaints > 0 and rate >= settings.DELIVERY_COMPLAINT_PAUSE_RATE,
        may_have_sent=Delivery.objects.filter(may_have_sent=True).count(),
    )


def sending_paused() -> bool:
    """`delivery_health().paused` for the send path, which asks before every chunk: without a
    complaint in the last day nothing is paused, and the day's sent mail is not counted."""
    since = timezone.now() - timedelta(days=1)
    complaints = _complaints_since(since)
    if not complaints:
        return False
    rate = _complaint_rate(complaints=complaints, sent=_sent_since(since))
    return rate >= settings.DELIVERY_COMPLAINT_PAUSE_RATE


class Candidate(NamedTuple):
    """A match as a digest freezes it."""

    pk: int
    subscriber_id: int
    paper_id: int
    score: float
    why: str


def digest_candidates_many(
    *, windows: dict[int, tuple[datetime, datetime]], limit: int
) -> dict[int, list[Candidate]]:
    """`digest.matching.selectors.digest_candidates` for a whole chunk of subscribers in one query:
    subscriber id -> their best matches made in [since, until), best first, at most `limit`
    (only the fields a digest freezes are loaded, not the papers).

    Same filters and order as the matching app's selector (visible, above the relevance threshold,
    never in an earlier digest, not disliked); a test keeps the two equal. One query instead of one
    per subscriber is what lets a 100,000-subscriber run prepare its digests in time."""
    from digest.matching.engine import Config
    from digest.matching.models import Feedback, Match

    if not windows:
        return {}
    result: dict[int, list[Candidate]] = defaultdict(list)
    if connection.vendor == "postgresql":
        ids = list(windows)
        with transaction.atomic(), server_bound_cursor() as cursor:
            # The planner prices the per-subscriber walk far above its cost and would compile it to
            # machine code first, which takes ten times as long as running it.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                _CANDIDATES_SQL,
                [
                    ids,
                    [windows[pk][0] for pk in ids],
                    [windows[pk][1] for pk in ids],
                    [str(status) for status in _TAKEN],
                    Config().threshold,
                    limit,
                ],
            )
            for row in cursor.fetchall():
                candidate = Candidate(*row)
                result[candidate.subscriber_id].append(candidate)
        return dict(result)
    groups: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for subscriber_id, window in windows.items():
        groups[window].append(subscriber_id)
    condition = Q()
    for (since, until), group in groups.items():
        condition |= Q(subscriber_id__in=group, created_at__gte=since, created_at__lt=until)
    sent = DeliveryItem.objects.filter(
        delivery__subscriber_id=OuterRef("subscriber_id"),
        delivery__status__in=_TAKEN,
        paper_id=OuterRef("paper_id"),
    )
    disliked = Feedback.objects.filter(
        subscriber_id=OuterRef("subscriber_id"), paper_id=OuterRef("paper_id"), value__lt=0
    )
    rows = (
        Match.objects.filter(condition, paper__hidden=False, score__gte=Config().threshold)
        .exclude(Exists(sent))
        .exclude(Exists(disliked))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("subscriber_id")],
                order_by=[F("score").desc(), F("paper__published_at").desc(), F("paper_id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("subscriber_id", "rank")
        .values_list("id", "subscriber_id", "paper_id", "score", "why")
    )
    for row in rows:
        candidate = Candidate(*row)
        result[candidate.subscriber_id].append(candidate)
    return dict(result)


# The chunk query on PostgreSQL. Each subscriber's digests and matches are reached through the
# subscriber index (OFFSET 0 keeps the planner from ANDing it with the status or created_at index,
# which reads every row of the day), and the matches are cut to `limit` inside the lateral subquery:
# a per-subscriber index walk whatever the planner believes about table sizes. The window query
# above, left to the planner, scans every recent match and every digest item ever sent, once per
# chunk, when statistics are missing or stale (a fresh install, autovacuum behind a bulk load).
_CANDIDATES_SQL = """
SELECT m.id, m.subscriber_id, m.paper_id, m.score, m.why
FROM unnest(%b::bigint[], %b::timestamptz[], %b::timestamptz[]) AS w(subscriber_id, since, until)
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(i.paper_id), '{}') AS paper_ids
    FROM (
        SELECT id, status FROM delivery_delivery WHERE subscriber_id = w.subscriber_id OFFSET 0
    ) d
    JOIN delivery_deliveryitem i ON i.delivery_id = d.id
    WHERE d.status = ANY(%b::text[])
) sent
CROSS JOIN LATERAL (
    SELECT m.id, m.subscriber_id, m.paper_id, m.score, m.why, p.published_at
    FROM (
        SELECT id, subscriber_id, paper_id, score, why, created_at
        FROM matching_match WHERE subscriber_id = w.subscriber_id OFFSET 0
    ) m
    JOIN papers_paper p ON p.id = m.paper_id
    WHERE m.created_at >= w.since AND m.created_at < w.until
        AND NOT p.hidden AND m.score >= %b
        AND m.paper_id <> ALL(sent.paper_ids)
        AND NOT EXISTS (
            SELECT 1 FROM matching_feedback f
            WHERE f.subscriber_id = m.subscriber_id AND f.paper_id = m.paper_id AND f.value < 0
        )
    ORDER BY m.score DESC, p.published_at DESC, m.paper_id
    LIMIT %b
) m
ORDER BY m.subscriber_id, m.score DESC, m.published_at DESC, m.paper_id
"""
