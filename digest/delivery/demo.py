"""The `manage.py demo` step of the delivery app: digests for the demo subscribers, now."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from digest.delivery.models import Delivery, OutboxStatus
from digest.delivery.services import digests_due


def step_send_demo_digests(command: BaseCommand) -> None:
    """Match the papers (idempotent) and run the scheduled job once: each demo subscriber's current
    period gets its digest, in the local mailbox in embedded mode. Running it again in the same
    period sends nothing more."""
    try:
        from digest.matching.tasks import process_new_papers
    except ImportError:
        command.stdout.write("  matching is not available; digests use the matches already stored")
    else:
        process_new_papers()
    result = digests_due()
    sent = Delivery.objects.filter(status=OutboxStatus.SENT).count()
    where = (
        "the local mailbox at /_mailbox/"
        if settings.EMAIL_BACKEND == "digest.mailbox.MailboxBackend"
        else "the mail server"
    )
    command.stdout.write(f"  {result.queued} digest(s) due now; {sent} sent in total to {where}")
