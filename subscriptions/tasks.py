from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from subscriptions import services


@shared_task(name="subscriptions.pending_purge")
def pending_purge_task() -> int:
    return services.subscribers_pending_purge(
        older_than=timedelta(days=settings.SUBSCRIBE_PENDING_RETENTION_DAYS)
    )
