"""When a digest is due: pure date arithmetic, no Django.

A period is identified by the local date of its scheduled send. Every local date maps to exactly one
instant, the send hour on that date in the subscriber's zone, so a DST switch can neither skip a day
nor produce two: a send hour that falls in a spring-forward gap resolves to the instant the clocks
jump (zoneinfo's fold=0), and one that occurs twice in autumn resolves to its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAILY = "daily"
WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Period:
    day: date  # the local date of the scheduled send: the period's key
    starts_at: datetime  # the scheduled send instant, aware UTC
    length: timedelta


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # A stored zone that the system no longer knows: UTC rather than no digest at all.
        return ZoneInfo("UTC")


def send_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    local = datetime(day.year, day.month, day.day, min(max(hour, 0), 23), tzinfo=tz)
    return local.astimezone(UTC)


def period_current(
    *, now: datetime, timezone_name: str, frequency: str, weekday: int, send_hour: int
) -> Period:
    """The latest period whose send instant is at or before `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(timezone_name)
    today = now.astimezone(tz).date()
    weekly = frequency == WEEKLY
    length = timedelta(days=7 if weekly else 1)
    # Eight days back always reaches a matching weekday whose send instant has passed.
    for back in range(9):
        day = today - timedelta(days=back)
        if weekly and day.weekday() != weekday % 7:
            continue
        instant = send_instant(day, send_hour, tz)
        if instant <= now:
            return Period(day=day, starts_at=instant, length=length)
    raise AssertionError("unreachable: no period in the last eight days")


def digest_due(*, period: Period, last_period_day: date | None) -> bool:
    """Due when this period has no digest yet. After downtime only the latest period is due, once:
    the missed ones are covered by it, since a digest spans everything since the previous one."""
    return last_period_day is None or period.day > last_period_day
