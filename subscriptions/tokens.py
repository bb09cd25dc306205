"""Signed tokens for links in emails and feeds.

Each purpose has its own salt, so a token made for one purpose never validates for another. A token
carries the subscriber id and their `token_version` (never the address); bumping the version revokes
every token issued before.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes

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


class _KeyedSigner(signing.TimestampSigner):
    """Django's TimestampSigner, making the same tokens, with its HMAC key derived once.

    Django derives the key from salt and secret on every signature; a digest carries about 13
    tokens, and that derivation was most of their cost. Unsigning with a fallback key (a rotated
    SECRET_KEY) takes Django's own path.
    """

    def __init__(self, *, salt: str, key: str, fallback_keys: list[str | bytes]) -> None:
        super().__init__(salt=salt, key=key, fallback_keys=fallback_keys)
        derived = hashlib.sha256(force_bytes(f"{salt}signer") + force_bytes(key)).digest()
        self._mac = hmac.new(derived, digestmod=hashlib.sha256)
        self._stamp = (0, "")

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        if key is not None and key != self.key:
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(value.encode() if isinstance(value, str) else value)
        return signing.b64_encode(mac.digest()).decode()

    def timestamp(self) -> str:
        # One (second, text) tuple, swapped whole, so concurrent threads never pair a stale text
        # with a new second.
        now = int(time.time())
        stamp = self._stamp
        if stamp[0] != now:
            stamp = self._stamp = (now, signing.b62_encode(now))
        return stamp[1]


@functools.lru_cache(maxsize=32)
def _keyed_signer(purpose: Purpose, key: str, fallbacks: tuple[str, ...]) -> _KeyedSigner:
    return _KeyedSigner(salt=f"paper-digest.{purpose.value}", key=key, fallback_keys=list(fallbacks))


def _signer(purpose: Purpose) -> signing.TimestampSigner:
    # Keyed by the secrets too, so a changed SECRET_KEY (or its fallbacks) takes effect at once.
    return _keyed_signer(purpose, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def token_make(*, purpose: Purpose, subscriber: Subscriber, extra: str = "") -> str:
    """`extra` binds the token to one object (a paper id, a delivery id, a new address hash)."""
    return tokens_make(purpose=purpose, subscriber=subscriber, extras=[extra])[0]


def tokens_make(*, purpose: Purpose, subscriber: Subscriber, extras: Iterable[str]) -> list[str]:
    """`token_make` for many objects of one subscriber at once (the papers of a digest)."""
    signer = _signer(purpose)
    prefix = f"{subscriber.pk}:{subscriber.token_version}:"
    return [signer.sign(signing.b64_encode(f"{prefix}{extra}".encode()).decode()) for extra in extras]


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
