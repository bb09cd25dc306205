"""Reads of the delivery app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

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


@dataclass(frozen=True, slots=True)
class DeliveryHealth:
    sent_last_day: int
    complaints_last_day: int
    complaint_rate: float
    warning: bool  # show a warning in the admin (the large providers' 0.1%)
    paused: bool  # digest sending stops (the providers' 0.3%)
    may_have_sent: int  # rows a crash interrupted in transmission (possibly delivered twice)


def delivery_health() -> DeliveryHealth:
    since = timezone.now() - timedelta(days=1)
    sent = Delivery.objects.filter(status=OutboxStatus.SENT, sent_at__gte=since).count()
    complaints = DeliveryEvent.objects.filter(
        kind=DeliveryEvent.Kind.COMPLAINT, created_at__gte=since
    ).count()
    rate = complaints / sent if sent else (1.0 if complaints else 0.0)
    return DeliveryHealth(
        sent_last_day=sent,
        complaints_last_day=complaints,
        complaint_rate=rate,
        warning=complaints > 0 and rate >= settings.DELIVERY_COMPLAINT_WARN_RATE,
        paused=complaints > 0 and rate >= settings.DELIVERY_COMPLAINT_PAUSE_RATE,
        may_have_sent=Delivery.objects.filter(may_have_sent=True).count(),
    )


def sending_paused() -> bool:
    return delivery_health().paused
