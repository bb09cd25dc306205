"""The transport dot-stuffs DATA itself (only when a line starts with a dot); a real server must
receive every message byte for byte."""

from __future__ import annotations

import pytest

from digest.delivery.transport import Outcome, Outgoing, SmtpTransport
from tests.conftest import SmtpSink


@pytest.mark.parametrize(
    "body",
    [
        b"plain text\r\nno dots at the start of a line\r\n",
        b".first line\r\nmiddle. line\r\n..two dots\r\n.\r\n",
        b"no final line break\r\n.last",
    ],
)
def test_a_message_arrives_byte_for_byte_whatever_its_lines_start_with(
    smtp_settings: SmtpSink, body: bytes
) -> None:
    raw = b"Subject: dots\r\nTo: reader@example.org\r\n\r\n" + body
    transport = SmtpTransport()
    try:
        result = transport.send(
            Outgoing(sender="digest@example.org", recipient="reader@example.org", raw=raw)
        )
    finally:
        transport.close()
    assert result.outcome is Outcome.SENT
    [(_, rcpts, received)] = smtp_settings.wait_for(1)
    assert rcpts == ["reader@example.org"]
    assert received == (raw if raw.endswith(b"\r\n") else raw + b"\r\n")
