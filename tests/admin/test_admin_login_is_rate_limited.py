from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def _login(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> object:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3)
def test_after_too_many_failures_even_the_right_password_is_refused() -> None:
    User.objects.create_superuser("boss", "boss@example.org", "right-password")
    client = Client()
    for _ in range(3):
        assert _login(client, "boss", "wrong").status_code == 200
    response = _login(client, "boss", "right-password")
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3)
def test_the_limit_is_per_address_and_username() -> None:
    User.objects.create_superuser("boss", "boss@example.org", "right-password")
    client = Client()
    for _ in range(3):
        _login(client, "boss", "wrong", ip="203.0.113.7")
    # Another client address is not blocked by the first one's failures.
    assert _login(Client(), "boss", "right-password", ip="198.51.100.1").status_code == 302


@override_settings(ADMIN_LOGIN_MAX_FAILURES=5, ADMIN_LOGIN_MAX_FAILURES_PER_IP=4)
def test_one_address_spraying_usernames_is_blocked() -> None:
    User.objects.create_superuser("boss", "boss@example.org", "right-password")
    client = Client()
    for n in range(4):
        _login(client, f"guess{n}", "wrong")
    assert b"Too many failed login attempts" in _login(client, "boss", "right-password").content


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3)
def test_a_successful_login_clears_earlier_failures() -> None:
    User.objects.create_superuser("boss", "boss@example.org", "right-password")
    client = Client()
    _login(client, "boss", "wrong")
    _login(client, "boss", "wrong")
    assert _login(client, "boss", "right-password").status_code == 302
    client.logout()
    _login(client, "boss", "wrong")
    _login(client, "boss", "wrong")
    assert _login(client, "boss", "right-password").status_code == 302


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_each_client_address_has_its_own_count() -> None:
    User.objects.create_superuser("boss", "boss@example.org", "right-password")
    client = Client()
    for _ in range(3):
        client.post(
            LOGIN,
            {"username": "boss", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    blocked = client.post(
        LOGIN,
        {"username": "boss", "password": "right-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert b"Too many failed login attempts" in blocked.content
    other = Client().post(
        LOGIN,
        {"username": "boss", "password": "right-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert other.status_code == 302
