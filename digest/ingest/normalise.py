"""Cleaning and keys shared by every format: arXiv ids, title keys, author keys, links, limits.

Pure functions: no Django, no I/O, so the parsers and the benchmark can call them at full speed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from digest.ingest.errors import RecordError
from digest.textmarks import strip_marks

# Limits: arXiv itself caps abstracts at 1,920 characters, so these only stop garbage.
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHOR_NAME = 300
MAX_AUTHORS = 200  # collaboration papers list thousands; the first 200 are the useful ones
MAX_CATEGORIES = 500
MAX_URLS = 10

# Control characters that are not whitespace: NUL, escape codes, DEL and the C1 block. They only
# appear in corrupted input, so a record holding one is rejected rather than silently altered.
_BAD_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BAD_CHARACTER = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The same as bytes, for ASCII text: what check_text rejects, and every control character.
_BAD_ASCII = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_ASCII_CONTROL = bytes([*range(0x00, 0x20), 0x7F])
_ALL_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]+\S)")
_NON_WORD = re.compile(r"[\W_]+")

_NEW_ID = re.compile(r"^(\d{4})\.(\d{4,5})(?:v(\d+))?$")
# Spreadsheets turn 0704.0010 into 704.001: the number lost its leading and trailing zeros.
_MANGLED_ID = re.compile(r"^(\d{3,4})\.(\d{1,5})$")
_OLD_ID = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$", re.IGNORECASE)
_ID_PREFIX = re.compile(
    r"^(?:oai:arxiv\.org:|arxiv:|https?://(?:export\.|www\.)?arxiv\.org/(?:abs|pdf)/)", re.I
)

_URL = re.compile(r"""(?:https?://|www\.|(?<![\w.@/])github\.com/)[^\s<>"'{}\\^`|\[\]]+""", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\")]}>"
_CODE_HOSTS = {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.io", "sourceforge.net"}
_REFERENCE_HOSTS = {"arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org"}


def preview(value: str, length: int = 40) -> str:
    """A short printable excerpt of bad input for a reject reason."""
    text = _ALL_CONTROL.sub("?", _SURROGATE.sub("?", value))
    return repr(text[:length] + ("..." if len(text) > length else ""))


def check_text(field: str, value: object, limit: int) -> str:
    """The raw text of a required field, or RecordError naming what is wrong with it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(f"no {field}")
    if not isinstance(value, str):
        raise RecordError(f"{field} is not text but {type(value).__name__}")
    if len(value) > limit:
        raise RecordError(f"{field} is {len(value):,} characters long (limit {limit:,})")
    if value.isascii():
        # The common case, checked at C speed (isascii reads a flag): deleting the rejected
        # bytes from the encoded text deletes nothing.
        if len(value.encode().translate(None, _BAD_ASCII)) == len(value):
            return value
    elif value.isprintable() or value.replace("\n", " ").isprintable():
        # Every character rejected below (controls, lone surrogates) is unprintable, and a newline
        # is the only allowed one abstracts often hold.
        return value
    bad = _BAD_CHARACTER.search(value)
    if bad:
        if _SURROGATE.match(bad.group()):
            raise RecordError(f"{field} is not valid UTF-8")
        raise RecordError(f"{field} contains control character U+{ord(bad.group()):04X}")
    return value


def _is_printable(text: str) -> bool:
    if text.isascii():
        # Twice as fast as isprintable on ASCII, which checks each character's Unicode category.
        return len(text.encode().translate(None, _ASCII_CONTROL)) == len(text)
    return text.isprintable()


def _is_collapsed(text: str) -> bool:
    # Printable (so the only whitespace is the plain space), single spaces, none at the ends: a
    # few C-speed scans instead of splitting the text into words and joining them again.
    return text[:1] != " " and text[-1:] != " " and _is_printable(text) and "  " not in text


def collapse(text: str) -> str:
    if _is_collapsed(text):
        return text
    if text.isascii():
        # str.split() is several times faster than the regex, and for ASCII splits on the same set.
        return " ".join(text.split())
    return _WHITESPACE.sub(" ", text).strip()


def clean_title(text: str) -> str:
    # Titles wrap in the arXiv metadata ("...at Tevatron and\n  LHC energies"): one line is the title.
    return collapse(text)


def clean_abstract(text: str) -> str:
    """Unwrap hard line breaks but keep paragraphs; characters (unicode, LaTeX, HTML) stay as given."""
    if "\n" not in text and "\r" not in text and "\f" not in text and "\v" not in text:
        return collapse(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n").replace("\v", "\n")
    paragraphs = (collapse(part) for part in _PARAGRAPH_BREAK.split(text.strip()))
    return "\n\n".join(part for part in paragraphs if part)


def strip_controls(text: str) -> str:
    if _is_collapsed(text):
        return text
    if text.isascii() and _is_printable(text):
        return " ".join(text.split())
    return collapse(_ALL_CONTROL.sub(" ", _SURROGATE.sub("", text)))


def arxiv_id_parse(value: str) -> tuple[str, int | None] | None:
    """('2401.01234', 2) from '2401.01234v2', 'arXiv:2401.01234v2', an abs/pdf URL, an OAI id, an
    old-style 'hep-th/9901001v1' or a spreadsheet-mangled '704.001'; None when it is no arXiv id."""
    text = _ID_PREFIX.sub("", value.strip())
    if text.endswith(".pdf"):
        text = text[:-4]
    match = _NEW_ID.match(text)
    if match:
        return f"{match[1]}.{match[2]}", int(match[3]) if match[3] else None
    match = _OLD_ID.match(text)
    if match:
        return match[1], int(match[2]) if match[2] else None
    match = _MANGLED_ID.match(text)
    if match:
        yymm = match[1].zfill(4)
        width = 4 if yymm < "1501" else 5
        return f"{yymm}.{match[2].ljust(width, '0')}", None
    return None


def fold(text: str) -> str:
    """Lower-case ASCII-ish words: accents dropped, punctuation to spaces ('Balázs' -> 'balazs')."""
    if text.isascii():
        # Every run of non-word characters (whitespace included) becomes one space.
        return _NON_WORD.sub(" ", text.lower()).strip()
    stripped = strip_marks(unicodedata.normalize("NFKD", text))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def title_normalise(title: str) -> str:
    return fold(title)


def title_hash(title: str) -> str:
    """40 hex characters identifying a title across sources, whatever its case, accents or punctuation."""
    return hashlib.sha1(title_normalise(title).encode()).hexdigest()


_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


@lru_cache(maxsize=200_000)
def _fold_name(name: str) -> str:
    # Both keys start from the folded name; folding it once serves both.
    return fold(name)


@lru_cache(maxsize=200_000)
def author_key(name: str) -> str:
    return _fold_name(name)[:MAX_AUTHOR_NAME] or name.casefold()[:MAX_AUTHOR_NAME]


@lru_cache(maxsize=200_000)
def author_match_key(name: str) -> str:
    """Surname and first initial, so 'Y. LeCun', 'Yann LeCun' and 'LeCun, Yann' share 'lecun y'."""
    surname_part, _, given_part = name.partition(",")
    if not given_part or fold(given_part) in _NAME_SUFFIXES:
        return _match_key(_fold_name(name).split(), name)
    surname_words = fold(surname_part).split()
    if not surname_words:
        return author_key(name)
    given_words = [w for w in fold(given_part).split() if w not in _NAME_SUFFIXES]
    surname = surname_words[-1]
    return f"{surname} {given_words[0][0]}" if given_words else surname


def author_match_key_keyed(name: str, key: str) -> str:
    """author_match_key(name), given key == author_key(name). A name without a comma is matched on
    its folded words, which the key already is (fold's output is letters, digits and single spaces),
    so the name need not be folded again: storing meets every new author this way."""
    if "," not in name and len(key) < MAX_AUTHOR_NAME and key.replace(" ", "").isalnum():
        return _match_key(key.split(), name)
    return author_match_key(name)


def _match_key(folded_words: list[str], name: str) -> str:
    """The match key of a name written without a comma, from its folded words: the last is the surname."""
    words = [w for w in folded_words if w not in _NAME_SUFFIXES]
    if not words:
        return author_key(name)
    return f"{words[-1]} {words[0][0]}" if len(words) > 1 else words[-1]


def clean_authors(names: Iterable[str]) -> list[str]:
    return clean_authors_keyed(names)[0]


def clean_authors_keyed(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The cleaned names, one per person, and their author keys (computed here anyway, so the
    storing side need not compute them again)."""
    result: list[str] = []
    seen: dict[str, None] = {}
    for raw in names:
        if not isinstance(raw, str):
            raise RecordError(f"author name is not text but {type(raw).__name__}")
        cleaned = _author_clean(raw)
        if cleaned is None:
            continue
        name, key = cleaned
        if key in seen:
            continue
        seen[key] = None
        result.append(name)
        if len(result) == MAX_AUTHORS:
            break
    return result, list(seen)


@lru_cache(maxsize=100_000)
def _author_clean(raw: str) -> tuple[str, str] | None:
    """(cleaned name, author key) of a name as written, None for a blank one. Cached: most names of
    a snapshot belong to people with many papers."""
    name = strip_controls(raw)
    if not name:
        return None
    if len(name) > MAX_AUTHOR_NAME:
        raise RecordError(f"author name is {len(name):,} characters long (limit {MAX_AUTHOR_NAME})")
    return name, author_key(name)


_CATEGORY = re.compile(r"^[A-Za-z][\w.\-]{0,63}$")


def clean_categories(values: Iterable[str]) -> list[str]:
    result: list[str] = []
    length = 0
    for value in values:
        for token in str(value).split():
            if not _CATEGORY.match(token) or token in result:
                continue
            length += len(token) + 1
            if length > MAX_CATEGORIES:
                return result
            result.append(token)
    return result


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _url_trim(url: str) -> str:
    while url and url[-1] in _URL_TRAILING:
        # Keep a closing bracket that belongs to the URL, e.g. wiki/Foo_(bar).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def urls_extract(text: str) -> tuple[list[str], list[str]]:
    """(code repository URLs, project page URLs) mentioned in an abstract, in order of appearance."""
    code: list[str] = []
    project: list[str] = []
    lowered = text.lower()
    if "http" not in lowered and "www." not in lowered and "github.com" not in lowered:
        return code, project
    for match in _URL.finditer(text):
        url = _url_trim(match.group())
        if not url.lower().startswith(("http://", "https://")):
            url = "https://" + url
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        if "." not in host or len(url) > 500:
            continue
        if host in _CODE_HOSTS:
            segments = [s for s in parts.path.split("/") if s]
            if host in {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"}:
                if len(segments) < 2:
                    continue
                url = f"https://{host}/{segments[0]}/{segments[1].removesuffix('.git')}"
            code.append(url)
        elif host not in _REFERENCE_HOSTS:
            project.append(url)
    return unique(code), unique(project)


def content_hash(values: Iterable[object]) -> str:
    """A stable digest of what we store for a paper: equal hashes mean nothing to write. Lists are
    joined with a separator that cannot occur in cleaned text (control characters are stripped)."""
    parts = [
        "\x1e".join(v) if isinstance(v, list) else "" if v is None else v if type(v) is str else str(v)
        for v in values
    ]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
