"""Recognising an input's format from its first bytes, and dispatching to the right parser."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from digest.ingest.errors import IngestError
from digest.ingest.formats import arxiv_snapshot, feeds, hf_api, hf_page
from digest.ingest.records import Parsed, Prepared

Parser = Callable[[BinaryIO], Iterator[Parsed]]

PARSERS: dict[str, Parser] = {
    hf_page.NAME: hf_page.parse,
    hf_api.NAME: hf_api.parse,
    arxiv_snapshot.JSONL: arxiv_snapshot.parse_jsonl,
    arxiv_snapshot.CSV: arxiv_snapshot.parse_csv,
    feeds.ATOM_NAME: feeds.parse_atom,
    feeds.RSS_NAME: feeds.parse_rss,
}
FORMAT_NAMES = tuple(PARSERS)

HEAD_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_BINARY_MAGIC = {
    b"PK\x03\x04": "a ZIP archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ": "an xz archive",
    b"SQLite format 3": "an SQLite database",
}
_XML_ROOT = re.compile(r"<(?![?!])([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def _unpacked(stream: BinaryIO) -> BinaryIO:
    """Transparently read a gzip-compressed file (the arXiv snapshot is often shipped that way)."""
    magic = stream.read(2)
    stream.seek(0)
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def _binary_reason(head: bytes) -> str | None:
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return what
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"binary data (a NUL byte at offset {nul})"
    text = head.decode("utf-8", "replace")
    # The head may end inside a multi-byte character; a few replacements are tolerable.
    if text.count("\ufffd") > max(4, len(text) // 100):
        return "not UTF-8 text"
    return None


def detect(head: bytes, *, name_hint: str = "") -> str:
    """The format name for an input starting with `head`, or IngestError saying why none fits."""
    if not head.strip():
        raise IngestError("the input is empty")
    reason = _binary_reason(head)
    if reason:
        raise IngestError(f"this is {reason}, not a text, JSON, CSV or XML file")
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    first_line = text.split("\n", 1)[0].strip()
    if text.startswith("<"):
        root = _XML_ROOT.search(text)
        name = (root[2] if root else "").lower()
        if name == "feed":
            return feeds.ATOM_NAME
        if name in {"rss", "rdf"}:
            return feeds.RSS_NAME
        if name == "html":
            raise IngestError("this is an HTML page, not a feed or data file")
        raise IngestError(f"unknown XML document <{name or '?'}>: expected an Atom or RSS feed")
    if text.startswith("["):
        return hf_api.NAME
    if text.startswith("{"):
        return arxiv_snapshot.JSONL
    columns = {c.strip().strip('"').lower() for c in first_line.split(",")}
    if columns >= arxiv_snapshot.REQUIRED_COLUMNS:
        return arxiv_snapshot.CSV
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if any(hf_page.is_header(p) for p in paragraphs[:8]) or (
        name_hint.lower().endswith(".txt") and len(paragraphs) >= 2
    ):
        return hf_page.NAME
    raise IngestError(
        f"could not recognise the format (it starts with {first_line[:40]!r}); "
        f"pass --format, one of: {', '.join(FORMAT_NAMES)}"
    )


# Formats whose records can be split between several parser processes by line blocks, and whose
# common records a compiled path can prepare.
SHARED_PARSERS: dict[
    str,
    Callable[
        [BinaryIO, arxiv_snapshot.Share | None, arxiv_snapshot.Fast | None], Iterator[Parsed | Prepared]
    ],
] = {
    arxiv_snapshot.JSONL: arxiv_snapshot.parse_jsonl,
}


def records(
    stream: BinaryIO,
    *,
    format: str | None = None,
    name_hint: str = "",
    share: arxiv_snapshot.Share | None = None,
    fast: arxiv_snapshot.Fast | None = None,
) -> tuple[str, Iterator[Parsed | Prepared]]:
    """(format name, parsed records) for a seekable binary stream. With a share (see
    arxiv_snapshot.parse_jsonl), only that share of a format in SHARED_PARSERS; any other format
    is parsed whole by the first share and yields nothing in the others. With `fast`, a format in
    SHARED_PARSERS yields the records it prepares already prepared."""
    stream = _unpacked(stream)
    try:
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(stream, gzip.GzipFile):
            raise IngestError(f"the compressed input is truncated or corrupt ({error})") from None
        raise IngestError(f"cannot read the input: {error}") from None
    if format is None:
        format = detect(head, name_hint=name_hint)
    elif format not in PARSERS:
        raise IngestError(f"unknown format {format!r}; expected one of: {', '.join(FORMAT_NAMES)}")
    else:
        reason = _binary_reason(head)
        if reason:
            raise IngestError(f"this is {reason}, not {format} input")
    if format in SHARED_PARSERS:
        return format, SHARED_PARSERS[format](stream, share, fast)
    return format, PARSERS[format](stream) if share is None or share[0] == 0 else iter(())
