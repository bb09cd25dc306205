"""Reads for the curation admin: dashboard series, paper match summaries, alias lookups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from digest.curation.models import PaperAlias
from digest.papers.models import Paper, Topic


def days_back(*, days: int, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def daily_counts(*, queryset: QuerySet, field: str, days: list[date]) -> list[int]:
    """How many rows of `queryset` have `field` on each of `days` (one grouped query)."""
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    rows = (
        queryset.filter(**{f"{field}__gte": start})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_day = {row["day"]: row["n"] for row in rows}
    return [by_day.get(day, 0) for day in days]


def most_followed_topics(*, limit: int = 10) -> list[tuple[str, int]]:
    """Topics by how many active subscribers follow them."""
    from subscriptions.models import Subscriber

    rows = (
        Topic.objects.annotate(
            followers=Count("subscribers", filter=Q(subscribers__status=Subscriber.Status.ACTIVE))
        )
        .filter(followers__gt=0)
        .order_by("-followers", "name")
        .values_list("name", "followers")[:limit]
    )
    return list(rows)


@dataclass(frozen=True)
class PaperReach:
    subscribers: int
    topics: list[tuple[Topic, int]]


def paper_reach(*, paper: Paper) -> PaperReach:
    """How many subscribers the paper was matched to, and per topic how many of them follow it."""
    from digest.matching.models import Match

    matched = Match.objects.filter(paper=paper)
    topics = (
        Topic.objects.filter(subscribers__matches__paper=paper)
        .annotate(n=Count("subscribers", distinct=True))
        .order_by("-n", "name")
    )
    return PaperReach(subscribers=matched.count(), topics=[(t, t.n) for t in topics])


def paper_alias_target(*, key: str = "", arxiv_id: str = "") -> Paper | None:
    """The kept paper a merged-away key or arXiv id now stands for (for ingestion to reuse)."""
    q = Q(pk__in=[])
    if key:
        q |= Q(key=key)
    if arxiv_id:
        q |= Q(arxiv_id=arxiv_id)
    alias = PaperAlias.objects.filter(q).select_related("paper").first()
    return alias.paper if alias else None


def delivery_daily_counts(*, days: list[date]) -> tuple[list[int], list[int]]:
    """Digests sent per day (by send time) and failed per day (by the day the digest was due)."""
    from digest.delivery.models import Delivery, OutboxStatus

    sent = daily_counts(
        queryset=Delivery.objects.filter(status=OutboxStatus.SENT), field="sent_at", days=days
    )
    failed = daily_counts(
        queryset=Delivery.objects.filter(status__in=[OutboxStatus.FAILED, OutboxStatus.BOUNCED]),
        field="created_at",
        days=days,
    )
    return sent, failed


EXPORT_COLUMNS = (
    "id",
    "status",
    "frequency",
    "topics",
    "keywords",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "consent_at",
)


def subscriber_export_rows(*, queryset: QuerySet, include_email: bool) -> Iterator[list[str]]:
    """CSV rows (header first) for the selected subscribers, streamed in chunks with their topics."""
    # Addresses and the consent IP only for staff allowed to see who subscribers are.
    header = ["email", *EXPORT_COLUMNS, "consent_ip"] if include_email else list(EXPORT_COLUMNS)
    yield header
    subscribers = queryset.order_by("pk").prefetch_related("topics").iterator(chunk_size=2000)
    for s in subscribers:
        row = [
            str(s.pk),
            s.status,
            s.frequency,
            "; ".join(t.name for t in s.topics.all()),
            " | ".join(s.keyword_list),
            _iso(s.created_at),
            _iso(s.confirmed_at),
            _iso(s.unsubscribed_at),
            _iso(s.consent_at),
        ]
        yield [s.email, *row, s.consent_ip or ""] if include_email else row


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def delivery_health_cached() -> Any:
    """E's delivery health (complaint rate, paused sending, rows in doubt), at most a minute old:
    the admin shows it on every outbox page and the counts cover a day of sending."""
    from django.core.cache import cache

    from digest.delivery.selectors import delivery_health

    return cache.get_or_set("admin:delivery-health", delivery_health, 60)
