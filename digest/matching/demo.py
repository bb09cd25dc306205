"""Demo step (listed in `manage.py demo`): rank the demo papers for the demo subscribers."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from digest.matching.models import Match
from digest.matching.services import matches_refresh
from digest.matching.tasks import process_new_papers
from subscriptions.models import Subscriber


def step_match_demo_papers(command: BaseCommand) -> None:
    """Idempotent: new papers are ranked once; the refresh re-ranks recent papers for everyone."""
    process_new_papers()
    matches_refresh(subscriber_ids=list(Subscriber.objects.active().values_list("pk", flat=True)))
    command.stdout.write(
        f"  {Match.objects.count()} matches for {Subscriber.objects.active().count()} active subscribers"
    )
