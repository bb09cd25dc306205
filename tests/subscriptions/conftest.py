"""Helpers for the subscription tests: form data, queued account mails and the links inside them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from digest.delivery.models import TransactionalEmail
from tests.factories import TopicFactory

LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


def signup_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "ada@example.org",
        "keywords": 'diffusion, "graph neural network"',
        "frequency": "daily",
        "weekday": "0",
        "send_hour": "8",
        "timezone": "Europe/Berlin",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def mails(*, to: str | None = None, name: str | None = None) -> list[TransactionalEmail]:
    rows = TransactionalEmail.objects.order_by("created_at", "pk")
    if to is not None:
        rows = rows.filter(to__iexact=to)
    if name is not None:
        rows = rows.filter(name=name)
    return list(rows)


def link(text: str, part: str) -> str:
    """The first absolute link in `text` whose path contains `part` (e.g. "/subscribe/confirm/")."""
    for url in LINK_RE.findall(text):
        if part in url:
            return url
    raise AssertionError(f"no link containing {part!r} in:\n{text}")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def topic(db: None) -> Any:
    return TopicFactory(name="Machine learning", slug="machine-learning")
