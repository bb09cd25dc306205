"""Fixed-window counters in Django's cache (Redis in production, so every web worker shares them)."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 3600


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a forwarded header is whatever the client wants it to be unless a proxy we
    # trust sets it, and the reverse proxy is expected to pass the real address through.
    value = request.META.get("REMOTE_ADDR") or None
    return value[:45] if value else None


def _hit(key: str, limit: int) -> bool:
    """Count one attempt; True while the count in this window is within the limit."""
    window = int(time.time()) // WINDOW_SECONDS
    full_key = f"subs:rl:{key}:{window}"
    # add() is a no-op when the key exists, then incr() is atomic in Redis.
    cache.add(full_key, 0, timeout=WINDOW_SECONDS + 60)
    try:
        count = cache.incr(full_key)
    except ValueError:  # evicted between add and incr
        cache.set(full_key, 1, timeout=WINDOW_SECONDS + 60)
        count = 1
    return count <= limit


def ip_allowed(*, request: HttpRequest, action: str) -> bool:
    ip = client_ip(request) or "unknown"
    return _hit(f"ip:{action}:{ip}", settings.SUBSCRIBE_RATE_PER_IP)


def address_allowed(*, email: str) -> bool:
    """At most N mails to one address per window, whatever the action that asked for them; the key is
    a hash so the cache holds no addresses."""
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    return _hit(f"addr:{digest}", settings.SUBSCRIBE_RATE_PER_ADDRESS)
