"""Admin login throttling, kept in the cache: failures count per (client IP, username) and per IP.

The per-pair limit stops guessing one account's password; the per-IP limit stops one client from
spraying many usernames. Both windows are fixed and start at the first failure.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"admin-login:{kind}:{digest}"


def _keys(*, ip: str, username: str) -> tuple[str, str]:
    return _key("pair", ip, username.strip().lower()), _key("ip", ip)


def login_blocked(*, ip: str, username: str) -> bool:
    pair, per_ip = _keys(ip=ip, username=username)
    counts = cache.get_many([pair, per_ip])
    return (
        counts.get(pair, 0) >= settings.ADMIN_LOGIN_MAX_FAILURES
        or counts.get(per_ip, 0) >= settings.ADMIN_LOGIN_MAX_FAILURES_PER_IP
    )


def login_failure_record(*, ip: str, username: str) -> None:
    for key in _keys(ip=ip, username=username):
        # add() starts the window only if none is running; incr() is atomic on Redis.
        cache.add(key, 0, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)


def login_success_record(*, ip: str, username: str) -> None:
    # A successful login clears the pair's count, not the IP's: a valid account must not reset a spray.
    cache.delete(_keys(ip=ip, username=username)[0])
