"""Pure checks and normalisation for what people type into the subscription forms.

No Django imports: these run on untrusted input before anything touches the database or an email,
and are cheap to test. Each function raises `InputError` with a message fit to show next to the field.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import cache

# Bidirectional overrides/isolates and invisible joiners: they make a term or name display as
# something other than what it is ("Trojan Source"), so they are refused outright.
_INVISIBLE_OR_BIDI = {
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2060",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ufeff",
}

EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit minus the angle brackets
LOCAL_PART_MAX_LENGTH = 64
DOMAIN_MAX_LENGTH = 253
LABEL_MAX_LENGTH = 63

MAX_TERMS = 200
MAX_TERM_LENGTH = 100
MAX_TERMS_TEXT_LENGTH = 10_000
MAX_AUTHORS = 100
MAX_AUTHOR_NAME_LENGTH = 200

# RFC 5322 dot-atom, ASCII only: quoted local parts and SMTPUTF8 mailboxes are legal but rarely
# deliverable, and refusing them keeps every address safe to put in a header.
_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_TLD_RE = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


class InputError(ValueError):
    """The input is refused; the message says why in words a subscriber understands."""


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored as typed, or None when it is fine."""
    for char in value:
        if char in _INVISIBLE_OR_BIDI:
            return "contains invisible or right-to-left control characters"
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\n\r\t":
            return "contains control characters"
        if category in {"Cs", "Co", "Cn"}:
            return "contains characters that are not valid text"
    return None


def email_normalise(value: str) -> str:
    """Return the address in the form we store and send to: trimmed, domain lower-cased and in
    ASCII (IDNA), local part as typed. Raise InputError when it is not a deliverable address."""
    if len(value) > 4 * EMAIL_MAX_LENGTH:
        raise InputError("This address is too long.")
    value = value.strip()
    if not value:
        raise InputError("Enter your email address.")
    if any(char in value for char in "\r\n\x00") or text_problem(value):
        raise InputError("This address contains characters that cannot be in an email address.")
    if value.count("@") != 1:
        raise InputError("Enter an address like name@example.org.")
    local, domain = value.split("@")
    if not local or len(local) > LOCAL_PART_MAX_LENGTH or not _LOCAL_RE.match(local):
        raise InputError("The part before the @ is not valid (letters, digits and . _ + - only).")
    domain = unicodedata.normalize("NFC", domain).rstrip(".").lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InputError("The domain after the @ is not valid.") from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > DOMAIN_MAX_LENGTH
        or any(not label or len(label) > LABEL_MAX_LENGTH or not _LABEL_RE.match(label) for label in labels)
        or not _TLD_RE.match(labels[-1])
    ):
        raise InputError("The domain after the @ is not valid.")
    address = f"{local}@{ascii_domain}"
    if len(address) > EMAIL_MAX_LENGTH:
        raise InputError(f"Email addresses can be at most {EMAIL_MAX_LENGTH} characters long.")
    return address


def _split_terms(text: str) -> list[str]:
    """Split on new lines and commas, keeping "quoted phrases" (commas inside them too) whole."""
    terms: list[str] = []
    for line in text.splitlines():
        for match in re.finditer(r'"([^"]*)"|([^,"]+)', line):
            if match.group(1) is not None:
                phrase = " ".join(match.group(1).split())
                if phrase:
                    terms.append(f'"{phrase}"' if " " in phrase else phrase)
            else:
                bare = " ".join(match.group(2).split())
                if bare:
                    terms.append(bare)
    return terms


def terms_normalise(text: str, *, label: str = "terms") -> list[str]:
    """Parse a free-text list of keywords or "quoted phrases" (one per line or comma-separated) into
    unique terms, in the order typed. Raise InputError with a clear limit when there are too many."""
    if len(text) > MAX_TERMS_TEXT_LENGTH:
        raise InputError(
            f"That is too much text ({len(text):,} characters); keep your {label} under "
            f"{MAX_TERMS_TEXT_LENGTH:,} characters and at most {MAX_TERMS} entries."
        )
    text = unicodedata.normalize("NFKC", text)
    problem = text_problem(text)
    if problem:
        raise InputError(f"Your {label} {problem}.")
    terms: list[str] = []
    seen: set[str] = set()
    for term in _split_terms(text):
        if len(term) > MAX_TERM_LENGTH:
            raise InputError(
                f"Each entry can be at most {MAX_TERM_LENGTH} characters; “{term[:40]}…” is longer."
            )
        folded = term.casefold()
        if folded not in seen:
            seen.add(folded)
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise InputError(f"You entered {len(terms):,} {label}; the limit is {MAX_TERMS}.")
    return terms


def names_normalise(text: str) -> list[str]:
    """Author names, one per line (commas are part of "Surname, Given" names)."""
    if len(text) > MAX_TERMS_TEXT_LENGTH:
        raise InputError(f"That is too much text; follow at most {MAX_AUTHORS} authors.")
    text = unicodedata.normalize("NFKC", text)
    problem = text_problem(text)
    if problem:
        raise InputError(f"The author names {problem}.")
    names: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        name = " ".join(line.split())
        if not name:
            continue
        if len(name) > MAX_AUTHOR_NAME_LENGTH:
            raise InputError(f"Author names can be at most {MAX_AUTHOR_NAME_LENGTH} characters.")
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if len(names) > MAX_AUTHORS:
        raise InputError(f"You can follow at most {MAX_AUTHORS} authors; you entered {len(names)}.")
    return names


@cache
def timezone_names() -> tuple[str, ...]:
    # Deprecated aliases ("US/Pacific") stay valid so older browsers' answers are accepted too.
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def _timezone_set() -> frozenset[str]:
    return frozenset(timezone_names())


def timezone_valid(name: str) -> bool:
    return name in _timezone_set()
