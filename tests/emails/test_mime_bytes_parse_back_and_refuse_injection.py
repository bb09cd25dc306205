from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from digest.emails import HeaderInjection, Rendered, email_mime_bytes

RENDERED = Rendered(
    subject="Dix nouveaux papiers — “diffusion” ünïcode",
    text="Line one\nA very long line " + "x" * 200 + "\n= equals and trailing space \n",
    html="<p>Héllo <b>=_boundary-like</b></p>\n" + "<i>y</i>" * 100,
)


def _build(**overrides: object) -> bytes:
    args: dict[str, object] = {
        "rendered": RENDERED,
        "from_email": "Paper Digest ✉ <digest@example.org>",
        "to": "reader@example.org",
        "message_id": "<digest.1.20260101@example.org>",
        "headers": [("List-Id", '"Paper Digest" <digest.example.org>')],
        "date": datetime(2026, 1, 1, 8, tzinfo=UTC),
    }
    args.update(overrides)
    return email_mime_bytes(**args)  # type: ignore[arg-type]


def test_the_bytes_parse_back_to_the_same_parts_and_headers() -> None:
    raw = _build()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == RENDERED.subject
    assert msg["From"].addresses[0].display_name == "Paper Digest ✉"
    assert msg["To"] == "reader@example.org"
    assert msg["Message-ID"] == "<digest.1.20260101@example.org>"
    assert msg["Date"] == "Thu, 01 Jan 2026 08:00:00 +0000"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == RENDERED.text
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == RENDERED.html
    assert not msg.defects


def test_text_only_is_a_single_part() -> None:
    raw = _build(rendered=Rendered(subject="s", text="hello\n", html=None))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().replace("\r\n", "\n") == "hello\n"


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": "a@example.org\r\nBcc: b@example.org"},
        {"to": "a@example.org, b@example.org"},
        {"message_id": "<x@y>\nBcc: b@example.org"},
        {"headers": [("List-Id", "x\r\nBcc: b@example.org")]},
        {"headers": [("Bcc: b@example.org\r\nX", "y")]},
        {"rendered": Rendered(subject="s\r\nBcc: b@example.org", text="t", html=None)},
        {"from_email": "a@example.org\nBcc: b@example.org"},
    ],
)
def test_no_header_can_be_injected(overrides: dict[str, object]) -> None:
    with pytest.raises(HeaderInjection):
        _build(**overrides)
