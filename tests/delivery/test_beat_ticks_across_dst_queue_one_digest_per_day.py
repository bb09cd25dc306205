"""Beat ticking every 30 minutes through DST switches, with frozen time: one digest per local day,
weekly ones on their weekday only, and one catch-up digest after an outage."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from digest.delivery.models import Delivery
from digest.delivery.services import digests_queue
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _tick_through(start: datetime, hours: int) -> None:
    for step in range(hours * 2):
        with time_machine.travel(start + timedelta(minutes=30 * step), tick=False):
            digests_queue(now=timezone.now())


@pytest.mark.parametrize("switch", [date(2026, 3, 29), date(2026, 10, 25)])
def test_daily_subscribers_get_one_digest_per_local_day_across_a_switch(switch: date) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    berlin = SubscriberFactory(
        timezone="Europe/Berlin", send_hour=2, created_at=created, confirmed_at=created
    )
    tokyo = SubscriberFactory(timezone="Asia/Tokyo", send_hour=8, created_at=created, confirmed_at=created)
    _tick_through(datetime(switch.year, switch.month, switch.day, tzinfo=UTC) - timedelta(days=1), 72)
    for subscriber in (berlin, tokyo):
        days = list(
            Delivery.objects.filter(subscriber=subscriber).order_by("period").values_list("period", flat=True)
        )
        # Three days of ticks: the period found at the first tick, then one per local day.
        assert len(days) in (3, 4)  # depends on where the first tick falls
        assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    assert switch in Delivery.objects.filter(subscriber=berlin).values_list("period", flat=True)


def test_weekly_subscribers_get_their_weekday_only() -> None:
    weekly = SubscriberFactory(frequency="weekly", weekday=2, send_hour=9, timezone="America/New_York")
    _tick_through(datetime(2026, 2, 2, tzinfo=UTC), 24 * 15)
    days = list(
        Delivery.objects.filter(subscriber=weekly).order_by("period").values_list("period", flat=True)
    )
    # The first tick finds last Wednesday's period unsent; then every Wednesday once.
    assert days == [date(2026, 1, 28), date(2026, 2, 4), date(2026, 2, 11)]
    assert {d.weekday() for d in days} == {2}


def test_after_an_outage_one_digest_covers_the_gap() -> None:
    subscriber = SubscriberFactory(send_hour=7, timezone="UTC")
    with time_machine.travel(datetime(2026, 5, 1, 8, tzinfo=UTC), tick=False):
        digests_queue(now=timezone.now())
    with time_machine.travel(datetime(2026, 5, 6, 12, tzinfo=UTC), tick=False):  # four days down
        digests_queue(now=timezone.now())
        digests_queue(now=timezone.now())
    rows = list(Delivery.objects.filter(subscriber=subscriber).order_by("period"))
    assert [r.period for r in rows] == [date(2026, 5, 1), date(2026, 5, 6)]
    assert rows[1].covers_since == rows[0].covers_until
