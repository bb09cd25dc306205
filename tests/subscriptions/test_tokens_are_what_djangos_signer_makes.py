"""`token_make` keeps its HMAC key instead of deriving it per token; the tokens must stay the bytes
Django's own TimestampSigner makes, so links already sent keep working and a rotated key still
reads old ones."""

from __future__ import annotations

import pytest
import time_machine
from django.core import signing
from django.test import override_settings

from subscriptions.tokens import BadToken, Purpose, token_make, token_read, tokens_make
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _django_token(purpose: Purpose, payload: str) -> str:
    return signing.TimestampSigner(salt=f"paper-digest.{purpose.value}").sign(payload)


def test_every_purpose_makes_the_token_djangos_signer_makes() -> None:
    subscriber = SubscriberFactory()
    payload = signing.b64_encode(f"{subscriber.pk}:{subscriber.token_version}:42".encode()).decode()
    with time_machine.travel(1_800_000_000, tick=False):
        for purpose in Purpose:
            token = token_make(purpose=purpose, subscriber=subscriber, extra="42")
            assert token == _django_token(purpose, payload)
            assert token_read(purpose=purpose, token=token)[1] == "42"


def test_the_timestamp_follows_the_clock() -> None:
    subscriber = SubscriberFactory()
    with time_machine.travel(1_800_000_000, tick=False):
        first = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
    with time_machine.travel(1_800_000_061, tick=False):
        later = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
    assert first.split(":")[1] != later.split(":")[1]
    assert first.split(":")[1] == signing.b62_encode(1_800_000_000)


def test_a_new_secret_key_signs_at_once_and_the_old_one_still_reads() -> None:
    subscriber = SubscriberFactory()
    old = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
    with override_settings(SECRET_KEY="a-rotated-secret-key-that-is-long-enough", SECRET_KEY_FALLBACKS=[]):
        new = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
        assert new != old
        with pytest.raises(BadToken):
            token_read(purpose=Purpose.MANAGE, token=old)
    from django.conf import settings

    with override_settings(
        SECRET_KEY="a-rotated-secret-key-that-is-long-enough", SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert token_read(purpose=Purpose.MANAGE, token=old)[0].pk == subscriber.pk


def test_tokens_made_together_equal_tokens_made_one_by_one() -> None:
    subscriber = SubscriberFactory()
    with time_machine.travel(1_800_000_000, tick=False):
        together = tokens_make(purpose=Purpose.FEEDBACK, subscriber=subscriber, extras=["1", "2", "3"])
        assert together == [
            token_make(purpose=Purpose.FEEDBACK, subscriber=subscriber, extra=extra) for extra in "123"
        ]
