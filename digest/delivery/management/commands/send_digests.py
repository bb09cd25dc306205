"""Run the scheduled digest job by hand: `manage.py send_digests [--now ISO-TIME] [--dry-run]`."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from digest.delivery import services
from digest.delivery.selectors import delivery_health


def _parse_now(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now must be an ISO 8601 time, e.g. 2026-03-29T08:00:00+02:00; got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = "Queue and send the digests that are due (the same job beat runs every few minutes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", type=_parse_now, default=None, help="Pretend it is this time (ISO 8601)")
        parser.add_argument("--dry-run", action="store_true", help="Only report how many digests are due")

    def handle(
        self, *args: object, now: datetime | None = None, dry_run: bool = False, **options: object
    ) -> None:
        result = services.digests_due(now=now, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{result.queued} digest(s) due; nothing queued or sent (dry run)")
            return
        health = delivery_health()
        self.stdout.write(
            f"{result.queued} digest(s) queued, {result.dispatched} dispatched, "
            f"{result.recovered} recovered after a crash; {health.may_have_sent} row(s) in total may have "
            f"been sent twice (interrupted in transmission)"
        )
        if health.paused:
            self.stderr.write(
                f"Sending is paused: complaint rate {health.complaint_rate:.2%} over the last day"
            )
