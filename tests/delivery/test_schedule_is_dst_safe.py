from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from digest.delivery.schedule import Period, digest_due, period_current


def _period(
    now: datetime, tz: str = "Europe/Berlin", frequency: str = "daily", weekday: int = 0, hour: int = 8
) -> Period:
    return period_current(now=now, timezone_name=tz, frequency=frequency, weekday=weekday, send_hour=hour)


def test_the_send_hour_is_local() -> None:
    # 06:59 UTC is 07:59 in Berlin (winter): yesterday's period; 07:00 UTC is today's.
    assert _period(datetime(2026, 1, 15, 6, 59, tzinfo=UTC)).day == date(2026, 1, 14)
    assert _period(datetime(2026, 1, 15, 7, 0, tzinfo=UTC)).day == date(2026, 1, 15)


@pytest.mark.parametrize(
    ("tz", "switch"),
    [
        ("Europe/Berlin", date(2026, 3, 29)),
        ("America/New_York", date(2026, 3, 8)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("America/New_York", date(2026, 11, 1)),
    ],
)
@pytest.mark.parametrize("hour", [0, 1, 2, 3, 8, 23])
def test_every_local_day_around_a_dst_switch_has_exactly_one_send(tz: str, switch: date, hour: int) -> None:
    # Walk in 5-minute ticks across three days around the switch: each period appears exactly once
    # and periods follow each other day by day.
    start = datetime(switch.year, switch.month, switch.day, tzinfo=UTC) - timedelta(days=2)
    seen: list[date] = []
    last: date | None = None
    for tick in range(0, 5 * 24 * 12):
        period = _period(start + timedelta(minutes=5 * tick), tz=tz, hour=hour)
        if digest_due(period=period, last_period_day=last):
            seen.append(period.day)
            last = period.day
    assert len(seen) == len(set(seen))
    assert all((b - a).days == 1 for a, b in itertools.pairwise(seen))
    assert switch in seen


def test_a_send_hour_in_the_spring_gap_goes_out_when_the_clocks_jump() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026; the clocks jump from 02:00 to 03:00 (01:00 UTC).
    period = period_current(
        now=datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        timezone_name="Europe/Berlin",
        frequency="daily",
        weekday=0,
        send_hour=2,
    )
    assert period.day == date(2026, 3, 29)
    assert period.starts_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_weekly_is_on_the_chosen_weekday_only() -> None:
    # Wednesday 2026-01-14; weekday 4 = Friday.
    now = datetime(2026, 1, 14, 12, tzinfo=UTC)
    period = _period(now, tz="UTC", frequency="weekly", weekday=4)
    assert period.day == date(2026, 1, 9)
    assert period.length == timedelta(days=7)
    assert not digest_due(period=period, last_period_day=date(2026, 1, 9))
    friday = _period(datetime(2026, 1, 16, 8, tzinfo=UTC), tz="UTC", frequency="weekly", weekday=4)
    assert friday.day == date(2026, 1, 16)
    assert digest_due(period=friday, last_period_day=date(2026, 1, 9))


def test_after_a_long_outage_only_the_latest_period_is_due_once() -> None:
    now = datetime(2026, 1, 20, 9, tzinfo=UTC)
    period = _period(now, tz="UTC")
    assert period.day == date(2026, 1, 20)
    assert digest_due(period=period, last_period_day=date(2026, 1, 10))
    assert not digest_due(period=period, last_period_day=period.day)


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert _period(datetime(2026, 1, 15, 8, tzinfo=UTC), tz="Mars/Olympus").day == date(2026, 1, 15)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        _period(datetime(2026, 1, 15, 8))  # noqa: DTZ001
