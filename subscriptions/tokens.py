"""Signed tokens for links in emails and feeds.

Each purpose has its own salt, so a token made for one purpose never validates for another. A token
carries the subscriber id and their `token_version` (never the address); bumping the version revokes
every token issued before.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from django.core import signing

from subscriptions.models import Subscriber


class Purpose(enum.StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    FEEDBACK = "feedback"
    VIEW_DIGEST = "view-digest"
    CHANGE_EMAIL = "change-email"


class BadToken(Exception):
    """The token is tampered, expired, made for another purpose, or revoked."""

    def __init__(self, reason: str, *, expired: bool = False, subscriber: Subscriber | None = None) -> None:
        super().__init__(reason)
        self.expired = expired
        # Set for a genuine but revoked token, so a page can say "already done" instead of "broken".
        self.subscriber = subscriber


def _signer(purpose: Purpose) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"paper-digest.{purpose.value}")


def token_make(*, purpose: Purpose, subscriber: Subscriber, extra: str = "") -> str:
    """`extra` binds the token to one object (a paper id, a delivery id, a new address hash)."""
    payload = signing.b64_encode(f"{subscriber.pk}:{subscriber.token_version}:{extra}".encode()).decode()
    return _signer(purpose).sign(payload)


def token_read(*, purpose: Purpose, token: str, max_age: timedelta | None = None) -> tuple[Subscriber, str]:
    """Return the subscriber and the `extra` the token was made with, or raise BadToken."""
    if not token or len(token) > 512:
        raise BadToken("malformed")
    try:
        payload = _signer(purpose).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("expired", expired=True) from None
    except signing.BadSignature:
        raise BadToken("bad signature") from None
    try:
        subscriber_id, version, extra = signing.b64_decode(payload.encode()).decode().split(":", 2)
        subscriber = Subscriber.objects.get(pk=int(subscriber_id))
    except (ValueError, UnicodeDecodeError, Subscriber.DoesNotExist):
        raise BadToken("unknown subscriber") from None
    if int(version) != subscriber.token_version:
        raise BadToken("revoked", subscriber=subscriber)
    return subscriber, extra
