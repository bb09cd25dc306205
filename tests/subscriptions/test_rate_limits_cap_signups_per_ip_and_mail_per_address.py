from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.subscriptions.conftest import mails, signup_data


def test_one_address_gets_at_most_the_configured_mails_per_hour(db: None, settings: Any) -> None:
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 3
    responses = [
        Client(REMOTE_ADDR=f"198.51.100.{i}").post(
            reverse("subscriptions:subscribe"), signup_data(email="target@example.org")
        )
        for i in range(6)
    ]

    # Same answer every time (no hint that the limit was hit), but only three mails went out.
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("subscriptions:subscribe-sent"))
    }
    assert len(mails(to="target@example.org")) == 3


def test_one_ip_is_stopped_after_the_configured_signups_with_a_429(db: None, settings: Any) -> None:
    settings.SUBSCRIBE_RATE_PER_IP = 5
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [
        client.post(reverse("subscriptions:subscribe"), signup_data(email=f"user{i}@example.org")).status_code
        for i in range(7)
    ]
    assert codes == [302] * 5 + [429] * 2
    assert Subscriber.objects.count() == 5
    other_ip = Client(REMOTE_ADDR="203.0.113.10").post(
        reverse("subscriptions:subscribe"), signup_data(email="other@example.org")
    )
    assert other_ip.status_code == 302


def test_the_limits_live_in_redis_so_every_web_process_shares_them(settings: Any) -> None:
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    from subscriptions import ratelimit

    settings.SUBSCRIBE_RATE_PER_ADDRESS = 2
    assert ratelimit.address_allowed(email="x@example.org")
    assert ratelimit.address_allowed(email="X@example.org")
    assert not ratelimit.address_allowed(email="x@example.org")
    assert any(key.startswith(b":1:subs:rl:addr:") for key in cache._cache.get_client().keys("*"))  # type: ignore[attr-defined]


def test_forwarded_addresses_count_only_behind_our_own_proxies(settings: Any) -> None:
    from django.test import RequestFactory

    from subscriptions.ratelimit import client_ip

    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.20, 10.0.0.1"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "198.51.100.20"  # the spoofed left-most entry is ignored
    garbage = RequestFactory().post("/", REMOTE_ADDR="not-an-ip")
    assert client_ip(garbage) is None
