from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from django.utils import timezone

from digest import emails
from digest.delivery.models import Delivery
from digest.delivery.rendering import digest_message_bytes
from digest.delivery.services import deliveries_prepare, digests_queue
from tests.delivery.helpers import subscriber_with_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def dkim_key(tmp_path: Path, settings: object) -> Iterator[bytes]:
    """A throwaway 2048-bit key; yields the DNS TXT record that publishes its public half."""
    pem = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(pem), "2048"], check=True, capture_output=True
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(pem), "-pubout", "-outform", "PEM"], check=True, capture_output=True
    ).stdout
    b64 = b"".join(line for line in public.splitlines() if not line.startswith(b"-----"))
    settings.DKIM_DOMAIN = "example.org"  # type: ignore[attr-defined]
    settings.DKIM_SELECTOR = "test"  # type: ignore[attr-defined]
    settings.DKIM_PRIVATE_KEY_PATH = str(tmp_path / "dkim.pem")  # type: ignore[attr-defined]
    emails._dkim_key.cache_clear()
    yield b"v=DKIM1; k=rsa; p=" + b64
    emails._dkim_key.cache_clear()


def test_a_digest_is_signed_over_the_unsubscribe_headers_and_verifies(dkim_key: bytes) -> None:
    subscriber_with_matches(2)
    digests_queue(now=timezone.now())
    delivery = Delivery.objects.select_related("subscriber").get()
    deliveries_prepare(delivery_ids=[delivery.pk])
    raw, _ = digest_message_bytes(delivery=delivery, items=list(delivery.items.select_related("paper")))

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"test._domainkey.example.org."
        return dkim_key

    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dnsfunc)
    signed = re.search(rb"h=([^;]+);", raw.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")).group(1)
    names = {n.strip().lower() for n in signed.split(b":")}
    assert {b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post"} <= names
    # Tampering with a signed header breaks the signature.
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x")
    assert not dkim.verify(tampered, dnsfunc=dnsfunc)


def test_without_a_key_nothing_is_signed() -> None:
    assert (
        emails.dkim_sign_configured(b"From: a@example.org\r\n\r\nhi\r\n")
        == b"From: a@example.org\r\n\r\nhi\r\n"
    )
