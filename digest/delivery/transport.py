"""Putting finished message bytes on the wire, one recipient at a time, over one connection per chunk.

The SMTP dialogue is driven step by step (MAIL, RCPT, DATA) so every failure is classified by the
stage it happened at: before DATA nothing can have been delivered; a connection lost during DATA
leaves the message in doubt.
"""

from __future__ import annotations

import enum
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone


class Outcome(enum.Enum):
    SENT = "sent"
    # 4xx, refused connection, timeout before DATA: nothing went out, try again later.
    TRANSIENT = "transient"
    # 5xx on RCPT: the address does not exist or refuses mail; suppress it.
    HARD_BOUNCE = "hard_bounce"
    # 5xx elsewhere (sender or content refused): give up on this message, keep the address.
    FAILED = "failed"
    # The connection broke while the message body was being transmitted.
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    detail: str = ""
    # The server could not be reached at all (refused, timed out, dropped before MAIL).
    unreachable: bool = False


@dataclass(slots=True)
class Outgoing:
    sender: str  # the envelope sender (bare address)
    recipient: str
    raw: bytes
    # Only backends that want Django message objects (the test outbox) call it.
    django_message: Callable[[], EmailMessage] | None = None


def _code_outcome(code: int, *, on_recipient: bool) -> Outcome:
    if 400 <= code < 500:
        return Outcome.TRANSIENT
    if on_recipient:
        return Outcome.HARD_BOUNCE
    return Outcome.FAILED


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))[:400]


class SmtpTransport:
    """Raw smtplib on one connection, reconnecting after the server drops it."""

    def __init__(self) -> None:
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cls = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
        conn = cls(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT)
        conn.ehlo_or_helo_if_needed()
        if settings.EMAIL_USE_TLS:
            conn.starttls(context=ssl.create_default_context())
        if settings.EMAIL_HOST_USER:
            conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, message: Outgoing) -> Result:
        # A reused connection may have been closed by the server while idle: one silent retry
        # before any byte of the message is committed to the wire.
        for attempt in (1, 2):
            result = self._send_once(message)
            if result is not None:
                return result
            if attempt == 2:
                break
        return Result(Outcome.TRANSIENT, "connection lost before MAIL", unreachable=True)

    def _send_once(self, message: Outgoing) -> Result | None:
        fresh = self.conn is None
        try:
            if self.conn is None:
                self.conn = self._connect()
            code, reply = self.conn.mail(message.sender)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            outcome = _code_outcome(exc.smtp_code, on_recipient=False)
            return Result(outcome, f"connect: {exc.smtp_code}", unreachable=outcome is Outcome.TRANSIENT)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if fresh:
                return Result(Outcome.TRANSIENT, f"connect: {exc!r}"[:400], unreachable=True)
            return None
        try:
            if code != 250:
                self._reset(code)
                return Result(_code_outcome(code, on_recipient=False), f"MAIL {code} {_text(reply)}")
            code, reply = self.conn.rcpt(message.recipient)
            if code not in (250, 251):
                self._reset(code)
                return Result(_code_outcome(code, on_recipient=True), f"RCPT {code} {_text(reply)}")
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Result(Outcome.TRANSIENT, f"before DATA: {exc!r}"[:400])
        try:
            code, reply = _data(self.conn, message.raw)
        except smtplib.SMTPDataError as exc:
            self._reset(exc.smtp_code)
            return Result(_code_outcome(exc.smtp_code, on_recipient=False), f"DATA {exc.smtp_code}")
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Result(Outcome.IN_DOUBT, f"during DATA: {exc!r}"[:400])
        if code != 250:
            self._reset(code)
            return Result(_code_outcome(code, on_recipient=False), f"DATA {code} {_text(reply)}")
        return Result(Outcome.SENT)

    def _reset(self, code: int) -> None:
        if code == 421 or self.conn is None:
            self._drop()
            return
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def _data(conn: smtplib.SMTP, raw: bytes) -> tuple[int, bytes]:
    """`SMTP.data` for finished message bytes (CRLF line ends): the dot-stuffing regular expression,
    a pass over every byte of every message, runs only when a line starts with a dot at all."""
    conn.putcmd("data")
    code, reply = conn.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    if raw.startswith(b".") or b"\n." in raw:
        raw = _LEADING_DOT.sub(b"..", raw)
    conn.send(raw + b".\r\n" if raw.endswith(b"\r\n") else raw + b"\r\n.\r\n")
    return conn.getreply()


_LEADING_DOT = re.compile(rb"(?m)^\.")


class MailboxTransport:
    """The embedded mode's local mailbox (`digest.mailbox`): one .eml file per message."""

    def send(self, message: Outgoing) -> Result:
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        path = directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.raw)
        tmp.rename(path)
        return Result(Outcome.SENT)

    def close(self) -> None:
        pass


class DjangoTransport:
    """Any other Django email backend (the test outbox, a provider's API backend)."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)

    def send(self, message: Outgoing) -> Result:
        if message.django_message is None:
            raise ValueError("this email backend needs a Django message object")
        try:
            self.connection.send_messages([message.django_message()])
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            return Result(_code_outcome(code, on_recipient=True), f"RCPT {code}")
        except smtplib.SMTPResponseException as exc:
            return Result(_code_outcome(exc.smtp_code, on_recipient=False), str(exc.smtp_code))
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return Result(Outcome.TRANSIENT, repr(exc)[:400])
        return Result(Outcome.SENT)

    def close(self) -> None:
        self.connection.close()


Transport = SmtpTransport | MailboxTransport | DjangoTransport


def transport_open() -> Transport:
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return SmtpTransport()
    if backend == "digest.mailbox.MailboxBackend":
        return MailboxTransport()
    return DjangoTransport()
