"""Celery tasks of the delivery app: each takes ids, re-reads the rows and calls one service."""

from __future__ import annotations

from celery import shared_task

from digest.delivery import services


@shared_task(name="delivery.transactional_email_send")
def transactional_email_send_task(email_id: int) -> None:
    # Safe to deliver twice: the service claims the row with a conditional UPDATE first.
    services.transactional_email_send(email_id=email_id)
