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
import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine
from django.utils import timezone
from mjml import mjml_to_html

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "emails"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SPACE = re.compile(r"\s+")
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


# --- The fast fill ------------------------------------------------------------------------------
# Email templates use a small subset of the Django template language: {{ dotted.name }} (no filters),
# {% if [not] name %} / {% else %} / {% endif %}, {% for x in name %} / {% endfor %} with
# forloop.counter/counter0/first/last. A template within that subset is translated once into a
# Python function, which fills it several times faster than the Django engine and gives the same
# output (tests compare the two on every email template). Anything else uses the Django engine.

_FAST_TOKEN = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.S)
_FAST_VAR = re.compile(r"^{{\s*([A-Za-z_][\w.]*)\s*}}$")
_FAST_IF = re.compile(r"^{%\s*if\s+(not\s+)?([A-Za-z_][\w.]*)\s*%}$")
_FAST_FOR = re.compile(r"^{%\s*for\s+([A-Za-z_]\w*)\s+in\s+([A-Za-z_][\w.]*)\s*%}$")
_FAST_WORD = re.compile(r"^{%\s*(else|endif|endfor)\s*%}$")
_MISSING = object()
_FORLOOP = {"counter": "({i} + 1)", "counter0": "{i}", "first": "({i} == 0)", "last": "({i} == {n} - 1)"}


class _Unsupported(Exception):
    pass


def _fast_attr(obj: object, name: str) -> object:
    if obj is _MISSING or obj is None:
        return _MISSING
    value = obj.get(name, _MISSING) if isinstance(obj, dict) else getattr(obj, name, _MISSING)
    if callable(value) and not getattr(value, "do_not_call_in_templates", False):
        value = value()
    return value


def _fast_text(value: object) -> str:
    if value is _MISSING:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        # What `localize` makes of an int when nothing is grouped (forloop.counter), without its
        # lookups of the active language's formats.
        return str(value)
    from django.utils.formats import localize

    return str(localize(value))


class SharedText(str):
    """Text that appears in many emails of a run: a paper's title, authors, abstract snippet.

    It is HTML-escaped once, here, instead of in every email that shows it. HTML templates print
    the escaped form through `__html__` (the protocol Django's own escaping honours); plain-text
    templates print the text as it is. Being already HTML-aware, it stays escaped even under `|safe`.
    """

    escaped: str

    def __new__(cls, value: str) -> SharedText:
        text = super().__new__(cls, value)
        text.escaped = html.escape(value)
        return text

    def __html__(self) -> str:
        return self.escaped


def _fast_html(value: object) -> str:
    if type(value) is str:
        # Five substring tests are several times faster than a regular expression or html.escape
        # on the usual value, which has nothing to escape.
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return html.escape(value)
        return value
    if type(value) is SharedText:
        return value.escaped
    if isinstance(value, str) and hasattr(value, "__html__"):
        return value.__html__()  # type: ignore[no-any-return]
    return html.escape(_fast_text(value))


def _fast_truth(value: object) -> bool:
    return value is not _MISSING and bool(value)


def _fast_iter(value: object) -> list[object]:
    if value is _MISSING or value is None:
        return []
    return list(value)  # type: ignore[call-overload]


def fast_compile(source: str, *, autoescape: bool) -> Callable[[dict[str, object]], str]:
    """Translate a template in the subset into a function of the context dict; raise if outside."""
    loops: list[tuple[str, str, str]] = []  # (loop variable, index local, length local)
    code = ["def fill(ctx):", " out = []", " a = out.append"]
    depth = 1
    opened: list[str] = []

    def expr(dotted: str) -> str:
        head, *rest = dotted.split(".")
        if head == "forloop" and loops and rest and rest[0] in _FORLOOP and len(rest) == 1:
            _, i, n = loops[-1]
            return _FORLOOP[rest[0]].format(i=i, n=n)
        local = next((f"v{k}" for k, (var, _, _) in enumerate(loops) if var == head), None)
        result = local or f"ctx.get({head!r}, _MISSING)"
        for n, attr in enumerate(rest):
            if attr.startswith("_"):
                raise _Unsupported(dotted)
            if n == 0 and local:
                # The hot path (paper.title ...): a dict lookup inline, no function call.
                result = f"({local}.get({attr!r}, _MISSING) if type({local}) is dict else _attr({local}, {attr!r}))"
            else:
                result = f"_attr({result}, {attr!r})"
        return result

    for token in _FAST_TOKEN.split(source):
        pad = " " * depth
        if not token or token.startswith("{#"):
            continue
        if not token.startswith(("{{", "{%")):
            code.append(f"{pad}a({token!r})")
        elif match := _FAST_VAR.match(token):
            # The common values (SharedText in HTML, str in text) are printed without a call.
            if autoescape:
                value = f"v.escaped if type(v := {expr(match.group(1))}) is _Shared else _html(v)"
            else:
                value = f"v if type(v := {expr(match.group(1))}) is str else _text(v)"
            code.append(f"{pad}a({value})")
        elif match := _FAST_IF.match(token):
            test = f"((t := {expr(match.group(2))}) is not _MISSING and t)"
            code.append(f"{pad}if {'not ' if match.group(1) else ''}{test}:")
            code.append(f"{pad} pass")
            opened.append("if")
            depth += 1
        elif match := _FAST_FOR.match(token):
            k = len(loops)
            code.append(f"{pad}seq{k} = _iter({expr(match.group(2))})")
            code.append(f"{pad}n{k} = len(seq{k})")
            code.append(f"{pad}for i{k}, v{k} in enumerate(seq{k}):")
            code.append(f"{pad} pass")
            loops.append((match.group(1), f"i{k}", f"n{k}"))
            opened.append("for")
            depth += 1
        elif match := _FAST_WORD.match(token):
            word = match.group(1)
            if not opened:
                raise _Unsupported(token)
            if word == "else":
                if opened[-1] != "if":
                    raise _Unsupported(token)
                code.append(f"{' ' * (depth - 1)}else:")
                code.append(f"{pad}pass")
                continue
            if opened.pop() != word[3:]:
                raise _Unsupported(token)
            if word == "endfor":
                loops.pop()
            depth -= 1
        else:
            raise _Unsupported(token)
    if opened:
        raise _Unsupported("unclosed block")
    code.append(" return ''.join(out)")
    namespace: dict[str, object] = {
        "_MISSING": _MISSING,
        "_attr": _fast_attr,
        "_html": _fast_html,
        "_text": _fast_text,
        "_Shared": SharedText,
        "_truth": _fast_truth,
        "_iter": _fast_iter,
    }
    exec(compile("\n".join(code), "<email template>", "exec"), namespace)
    return namespace["fill"]  # type: ignore[return-value]


class Filler:
    """A template filled by the fast function when it fits the subset, else by the Django engine."""

    def __init__(self, source: str, *, autoescape: bool) -> None:
        self.autoescape = autoescape
        try:
            self.fast: Callable[[dict[str, object]], str] | None = fast_compile(source, autoescape=autoescape)
        except _Unsupported:
            self.fast = None
        engine = _html_engine() if autoescape else _text_engine()
        self.template = engine.from_string(source)

    def render(self, context: dict[str, object]) -> str:
        if self.fast is not None:
            return self.fast(context)
        return self.template.render(Context(context, autoescape=self.autoescape))


@functools.cache
def html_template(name: str) -> Filler | None:
    """The compiled template, built once per process; None for a type without an HTML layout."""
    _check_name(name)
    if not (TEMPLATE_DIR / f"{name}.mjml").exists():
        return None
    return Filler(mjml_compile(name), autoescape=True)


@functools.cache
def text_template(name: str) -> Filler:
    _check_name(name)
    return Filler((TEMPLATE_DIR / f"{name}.txt").read_text("utf-8"), autoescape=False)


@functools.cache
def subject_template(name: str) -> Filler:
    _check_name(name)
    return Filler((TEMPLATE_DIR / f"{name}-subject.txt").read_text("utf-8"), autoescape=False)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def _blank_lines_collapse(text: str) -> str:
    """Two or more blank lines in a row (left by template tags on lines of their own) become one.
    A few passes of str.replace: several times faster than the regular expression it replaces."""
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def email_render(*, name: str, context: dict[str, object], text_only: bool = False) -> Rendered:
    """Fill the three templates of `name`. The subject is folded to one line, so no template value
    can add a header through it."""
    base = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "POSTAL_ADDRESS": settings.POSTAL_ADDRESS,
    }
    ctx = {**base, **context}
    subject = _SPACE.sub(" ", subject_template(name).render(ctx)).strip()
    text = _blank_lines_collapse(text_template(name).render(ctx)).strip() + "\n"
    html_part = None
    template = None if text_only else html_template(name)
    if template is not None:
        html_part = template.render(ctx)
    return Rendered(subject=subject[:300], text=text, html=html_part)


def header_value(value: str) -> str:
    """A header value as given, refusing line breaks (the one way to inject a header)."""
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HeaderInjection("line break in a header value")
    return value


# Local part and domain in RFC 5322 atom characters and dots: `parseaddr` returns such an address
# unchanged, so it passes `_address_parse_check` without running that parser (pure Python, and
# slower than writing all the rest of a digest's headers). A test holds the two to the same verdict.
_PLAIN_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.!#$%&'*+/=?^`{|}~-]+", re.ASCII)


def address_check(address: str) -> str:
    """A bare address (`user@host`), refusing anything that could carry a second address or header."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _address_parse_check(address)


def _address_parse_check(address: str) -> str:
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


@functools.lru_cache(maxsize=64)
def _encode_address(value: str) -> str:
    """`Name <addr>` with a non-ASCII display name encoded (RFC 2047)."""
    header_value(value)
    display, address = parseaddr(value)
    if not address:
        raise HeaderInjection(f"not an address: {value!r}")
    if display and not display.isascii():
        display = Header(display, "utf-8").encode()
    return formataddr((display, address))


# Quoted-printable is line-local: a line encodes the same wherever it stands. Most lines of a digest
# (the layout, each paper's title, authors and abstract) recur in every digest of a run, so their
# encodings are kept and only the lines that differ (signed links, the footer) are encoded per
# message. The result is byte for byte what `b2a_qp` makes of the whole body. Bounded: about 10 MB
# when full, then it starts again.
_QP_LINES: dict[str, bytes] = {}
_QP_LINES_MAX = 20_000


def _qp_line(line: str) -> bytes:
    # Encoded with its CRLF, so a long line's soft breaks are CRLF too.
    return binascii.b2a_qp(f"{line}\r\n".encode(), quotetabs=False, istext=True, header=False)


def _qp(text: str) -> bytes:
    """`text` with CRLF line ends, quoted-printable."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    last = lines.pop()
    memo = _QP_LINES
    if len(memo) > _QP_LINES_MAX:
        memo.clear()
    out = []
    for line in lines:
        encoded = memo.get(line)
        if encoded is None:
            encoded = memo[line] = _qp_line(line)
        out.append(encoded)
    if last:
        out.append(_qp_line(last)[:-2])
    return b"".join(out)


_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,76}")


@functools.lru_cache(maxsize=4)
def _date_header(when: datetime) -> str:
    return format_datetime(when)


def email_mime_bytes(
    *,
    rendered: Rendered,
    from_email: str,
    to: str,
    message_id: str,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    date: datetime | None = None,
) -> bytes:
    """The complete RFC 5322 message, CRLF line endings, ready for SMTP DATA and DKIM signing.

    `headers` are extra (name, value) pairs; every value is refused if it holds a line break.
    """
    # The header has whole seconds: a run writes many messages in each, and formatting is not free.
    when = (date or timezone.now()).replace(microsecond=0)
    lines = [
        f"From: {_encode_address(from_email)}",
        f"To: {address_check(to)}",
        f"Subject: {_encode_header(rendered.subject)}",
        f"Date: {_date_header(when)}",
        f"Message-ID: {header_value(message_id)}",
    ]
    for key, value in headers:
        if not _HEADER_NAME.fullmatch(key):
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
    part_head = '\r\nContent-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: {}\r\n\r\n'

    b = boundary.encode("ascii")
    return b"".join(
        (
            "\r\n".join(lines).encode("ascii"),
            b"\r\n\r\n--",
            b,
            part_head.format("plain", "quoted-printable").encode("ascii"),
            text_part,
            b"\r\n--",
            b,
            part_head.format("html", "quoted-printable").encode("ascii"),
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
