"""Feeds run only the security, static and common middleware; pages keep the whole stack."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize("kind", ["latest", "topic", "author", "personal"])
def test_a_feed_keeps_security_headers_and_length_and_sets_no_cookie_or_frame_header(
    client: Client, urls: dict[str, str], kind: str
) -> None:
    response = client.get(urls[f"{kind}-rss"])

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert int(response["Content-Length"]) == len(response.content)
    assert "X-Frame-Options" not in response
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_pages_still_run_the_whole_stack(client: Client, urls: dict[str, str]) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/feeds/nothing.rss", "/feeds/topics/no-such-topic.rss", "/feeds/"])
def test_unknown_feed_addresses_answer_404(client: Client, db: None, path: str) -> None:
    assert client.get(path).status_code == 404
