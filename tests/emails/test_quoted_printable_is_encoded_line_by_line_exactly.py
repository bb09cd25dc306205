"""Bodies are quoted-printable, encoded line by line with the encodings of recurring lines kept: the
bytes must be exactly those of encoding the whole body at once, whatever the lines hold."""

from __future__ import annotations

import binascii
import email
import email.policy
import random

import pytest

from digest import emails

PIECES = [
    "plain words",
    "é",
    "“quote”",
    "=",
    "=3D",
    " ",
    "\t",
    ".",
    "x" * 90,
    "From ",
    "_",
    "\r\n",
    "\n",
    "\n\n",
]


def _whole(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)


@pytest.mark.parametrize("seed", range(40))
def test_line_by_line_equals_the_whole_body_encoding(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 120))) + "\n"
    assert emails._qp(text) == _whole(text)
    assert emails._qp(text) == _whole(text)  # again, now from the kept lines


def test_a_last_line_without_a_line_break_still_gets_crlf_soft_breaks() -> None:
    encoded = emails._qp("short\n" + "y" * 200 + " ")
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    assert encoded.endswith(b"=20")
    assert binascii.a2b_qp(encoded).replace(b"\r\n", b"\n") == ("short\n" + "y" * 200 + " ").encode()


def test_the_kept_lines_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emails, "_QP_LINES_MAX", 10)
    for n in range(50):
        emails._qp(f"line {n}\n")
    assert len(emails._QP_LINES) <= 11


def test_both_parts_are_quoted_printable_and_decode_to_the_rendered_text() -> None:
    rendered = emails.Rendered(
        subject="s", text="Tschüss = bye\n", html='<p>Tschüss</p>\n<p style="a">x</p>\n'
    )
    raw = emails.email_mime_bytes(
        rendered=rendered, from_email="d@example.org", to="r@example.org", message_id="<m@example.org>"
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part, expected in (
        (msg.get_body(("plain",)), rendered.text),
        (msg.get_body(("html",)), rendered.html),
    ):
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content().replace("\r\n", "\n") == expected
