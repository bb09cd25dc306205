"""Fixed-window counters in Django's cache (Redis in production, so every web worker shares them)."""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 3600


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for rate limits and the consent record. X-Forwarded-For is whatever the
    client wants it to be, except for the entries our own proxies appended (TRUSTED_PROXY_COUNT)."""
    value = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            value = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


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
