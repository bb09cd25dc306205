"""Every email this service sends is built here.

A message type is a name with three templates under `templates/emails/`: `<name>.mjml` (the HTML
layout, MJML plus Django template tags), `<name>.txt` (the plain-text part, written for text
clients, not stripped from HTML) and `<name>-subject.txt`.

MJML is compiled once per process, at first use, and the compiled HTML is kept as a Django template:
the per-recipient step is only a template fill. `email_mime_bytes` then writes the MIME message
from a fixed layout (quoted-printable bodies, a boundary that quoted-printable can never contain),
which is several times faster than `email.mime` serialisation and is what the digest sender uses.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine, Template
from django.utils import timezone
from mjml import mjml_to_html

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "emails"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INDENT = re.compile(r"\n[ \t]+")
_TAG = re.compile(r"{%.*?%}")


class EmailTemplateError(ValueError):
    """An unknown email name, or an MJML source the compiler rejects."""


class HeaderInjection(ValueError):
    """A header value contained a line break or an address was not a single plain address."""


@functools.cache
def _html_engine() -> Engine:
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True, debug=False)


@functools.cache
def _text_engine() -> Engine:
    # Plain text is never parsed as markup, so nothing is HTML-escaped in it.
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=False, debug=False)


def _check_name(name: str) -> None:
    if not _NAME.match(name) or not (TEMPLATE_DIR / f"{name}.txt").exists():
        raise EmailTemplateError(f"unknown email {name!r}: expected templates/emails/{name}.txt")


LAYOUT = "_layout.mjml"
# Tells mail clients the layout has its own dark styles (the compiler has no head element for it).
_COLOR_SCHEME_META = '<meta name="color-scheme" content="light dark">\n<meta name="supported-color-schemes" content="light dark">'
CONTENT_SLOT = "<mj-raw><!-- content --></mj-raw>"


def mjml_source(name: str) -> str:
    """The full MJML document of `name`. A source that is not a whole `<mjml>` document is body
    content for the shared layout (head styles, dark mode, header, footer)."""
    source = (TEMPLATE_DIR / f"{name}.mjml").read_text("utf-8")
    if source.lstrip().startswith("<mjml"):
        return source
    return (TEMPLATE_DIR / LAYOUT).read_text("utf-8").replace(CONTENT_SLOT, source)


def mjml_compile(name: str) -> str:
    """Compile `templates/emails/<name>.mjml` to HTML that still holds its Django template tags."""
    source = mjml_source(name)
    result = mjml_to_html(source, template_dir=TEMPLATE_DIR)
    if result.errors:
        raise EmailTemplateError(f"{name}.mjml: {'; '.join(result.errors)}")
    # MJML silently drops text between components: a template tag placed there would vanish and
    # change the logic of the email. Tags belong inside <mj-text> or in their own <mj-raw>.
    lost = _TAG.findall(source) != _TAG.findall(result.html)
    if lost:
        raise EmailTemplateError(
            f"{name}.mjml: a template tag outside <mj-text>/<mj-raw> was dropped by MJML"
        )
    html = result.html.replace("<head>", f"<head>\n{_COLOR_SCHEME_META}", 1)
    # The compiler indents generously; a digest goes to many inboxes, so drop the indentation.
    return _INDENT.sub("\n", html).strip() + "\n"


@functools.cache
def html_template(name: str) -> Template | None:
    """The compiled template, built once per process; None for a type without an HTML layout."""
    _check_name(name)
    if not (TEMPLATE_DIR / f"{name}.mjml").exists():
        return None
    return _html_engine().from_string(mjml_compile(name))


@functools.cache
def text_template(name: str) -> Template:
    _check_name(name)
    return _text_engine().get_template(f"{name}.txt")


@functools.cache
def subject_template(name: str) -> Template:
    _check_name(name)
    return _text_engine().get_template(f"{name}-subject.txt")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def email_render(*, name: str, context: dict[str, object], text_only: bool = False) -> Rendered:
    """Fill the three templates of `name`. The subject is folded to one line, so no template value
    can add a header through it."""
    base = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "POSTAL_ADDRESS": settings.POSTAL_ADDRESS,
    }
    ctx = Context({**base, **context}, autoescape=False)
    subject = _SPACE.sub(" ", subject_template(name).render(ctx)).strip()
    text = _BLANK_LINES.sub("\n\n", text_template(name).render(ctx)).strip() + "\n"
    html = None
    template = None if text_only else html_template(name)
    if template is not None:
        html = template.render(Context({**base, **context}, autoescape=True))
    return Rendered(subject=subject[:300], text=text, html=html)


def header_value(value: str) -> str:
    """A header value as given, refusing line breaks (the one way to inject a header)."""
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HeaderInjection("line break in a header value")
    return value


def address_check(address: str) -> str:
    """A bare address (`user@host`), refusing anything that could carry a second address or header."""
    header_value(address)
    name, parsed = parseaddr(address)
    if not parsed or parsed != address.strip() or name or any(c in parsed for c in ' <>,;:"()[]\\'):
        raise HeaderInjection(f"not a single plain address: {address!r}")
    if parsed.count("@") != 1:
        raise HeaderInjection(f"not a single plain address: {address!r}")
    return parsed


def email_build(
    *,
    name: str,
    context: dict[str, object],
    to: str,
    from_email: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    text_only: bool = False,
) -> EmailMultiAlternatives:
    """The Django message for `name` (used for account mails, where volume is low)."""
    rendered = email_render(name=name, context=context, text_only=text_only)
    return message_from_rendered(
        rendered=rendered, to=to, from_email=from_email, reply_to=reply_to, headers=headers
    )


def message_from_rendered(
    *,
    rendered: Rendered,
    to: str,
    from_email: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    extra = {key: header_value(value) for key, value in (headers or {}).items()}
    reply = reply_to if reply_to is not None else settings.REPLY_TO_EMAIL
    message = EmailMultiAlternatives(
        subject=header_value(rendered.subject),
        body=rendered.text,
        from_email=header_value(from_email or settings.DEFAULT_FROM_EMAIL),
        to=[address_check(to)],
        reply_to=[header_value(reply)] if reply else None,
        headers=extra,
    )
    if rendered.html is not None:
        message.attach_alternative(rendered.html, "text/html")
    return message


# --- The fast MIME writer -----------------------------------------------------------------------


def _encode_header(value: str) -> str:
    header_value(value)
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=998).encode(linesep="\r\n")


def _encode_address(value: str) -> str:
    """`Name <addr>` with a non-ASCII display name encoded (RFC 2047)."""
    header_value(value)
    display, address = parseaddr(value)
    if not address:
        raise HeaderInjection(f"not an address: {value!r}")
    if display and not display.isascii():
        display = Header(display, "utf-8").encode()
    return formataddr((display, address))


def _qp(text: str) -> bytes:
    # Bodies are CRLF-terminated before encoding so soft line breaks come out as CRLF too.
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)


def email_mime_bytes(
    *,
    rendered: Rendered,
    from_email: str,
    to: str,
    message_id: str,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    date: object = None,
) -> bytes:
    """The complete RFC 5322 message, CRLF line endings, ready for SMTP DATA and DKIM signing.

    `headers` are extra (name, value) pairs; every value is refused if it holds a line break.
    """
    when = date or timezone.now()
    lines = [
        f"From: {_encode_address(from_email)}",
        f"To: {address_check(to)}",
        f"Subject: {_encode_header(rendered.subject)}",
        f"Date: {format_datetime(when)}",  # type: ignore[arg-type]
        f"Message-ID: {header_value(message_id)}",
    ]
    for key, value in headers:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,76}", key):
            raise HeaderInjection(f"bad header name {key!r}")
        lines.append(f"{key}: {_encode_header(value)}")
    lines.append("MIME-Version: 1.0")
    text_part = _qp(rendered.text)
    if rendered.html is None:
        lines.append('Content-Type: text/plain; charset="utf-8"')
        lines.append("Content-Transfer-Encoding: quoted-printable")
        return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + text_part
    # "=_" can never occur in a quoted-printable body ("=" is always followed by two hex digits or
    # a line break), so this boundary is safe without scanning the bodies.
    boundary = f"=_{secrets.token_hex(12)}"
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    part_head = (
        '\r\nContent-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    )
    b = boundary.encode("ascii")
    return b"".join(
        (
            "\r\n".join(lines).encode("ascii"),
            b"\r\n\r\n--",
            b,
            part_head.format("plain").encode("ascii"),
            text_part,
            b"\r\n--",
            b,
            part_head.format("html").encode("ascii"),
            _qp(rendered.html),
            b"\r\n--",
            b,
            b"--\r\n",
        )
    )


@functools.cache
def _dkim_key() -> bytes | None:
    if not (settings.DKIM_DOMAIN and settings.DKIM_PRIVATE_KEY_PATH):
        return None
    return Path(settings.DKIM_PRIVATE_KEY_PATH).read_bytes()


DKIM_SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"feedback-id",
    b"mime-version",
    b"content-type",
)


def dkim_sign(message: bytes, *, domain: str, selector: str, private_key: bytes) -> bytes:
    """The message with a DKIM-Signature header prepended (relaxed/relaxed, rsa-sha256)."""
    import dkim

    signature = dkim.sign(
        message,
        selector.encode("ascii"),
        domain.encode("ascii"),
        private_key,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=list(DKIM_SIGNED_HEADERS),
        linesep=b"\r\n",
    )
    return signature + message


def dkim_sign_configured(message: bytes) -> bytes:
    """Sign with the configured key, or return the message unchanged when DKIM is not configured."""
    key = _dkim_key()
    if key is None:
        return message
    return dkim_sign(message, domain=settings.DKIM_DOMAIN, selector=settings.DKIM_SELECTOR, private_key=key)
