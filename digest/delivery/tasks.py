"""Celery tasks of the delivery app: each takes ids, re-reads the rows and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task

from digest.delivery import services

logger = logging.getLogger(__name__)


@shared_task(name="delivery.transactional_email_send")
def transactional_email_send_task(email_id: int) -> None:
    # Safe to deliver twice: the service claims the row with a conditional UPDATE first.
    services.transactional_email_send(email_id=email_id)


@shared_task(name="delivery.digests_due")
def digests_due_task() -> None:
    # Beat runs it every few minutes; two beats or a duplicated tick queue nothing twice (the
    # unique (subscriber, period) constraint) and send nothing twice (per-row claims).
    services.digests_due()


@shared_task(name="delivery.digests_send")
def digests_send_task(delivery_ids: list[int]) -> None:
    report = services.digests_send(delivery_ids=delivery_ids)
    logger.info(
        "digest chunk: sent=%d retrying=%d failed=%d bounced=%d locked=%d render=%.3fs send=%.3fs",
        report.sent,
        report.retrying,
        report.failed,
        report.bounced,
        report.skipped_locked,
        report.render_seconds,
        report.send_seconds,
    )
