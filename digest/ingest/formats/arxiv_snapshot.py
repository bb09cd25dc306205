"""The Kaggle arXiv metadata snapshot: JSON lines (`arxiv-metadata-oai-snapshot.json`) and the same
fields as CSV, where `versions` and `authors_parsed` are Python-literal strings and spreadsheets
have mangled the ids (`704.001` for `0704.0010`)."""

from __future__ import annotations

import ast
import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import BinaryIO

import orjson

from digest.ingest import normalise
from digest.ingest.errors import IngestError, RecordError
from digest.ingest.normalise import preview
from digest.ingest.records import Parsed, Prepared, Reject, record_build
from digest.ingest.textio import ERRORS

JSONL = "arxiv-jsonl"
CSV = "arxiv-csv"
REQUIRED_COLUMNS = {"id", "title", "abstract"}
# (this parser's number, how many parsers, lines per block): see parse_jsonl.
Share = tuple[int, int, int]
# A CSV field may legitimately span lines, but not megabytes.
csv.field_size_limit(1_000_000)
# Takes a line's number and JSON value; returns the record prepared for storing (for PostgreSQL in
# the form that crosses to the storing process: papers.services._crossing), or None to leave it to
# the Python path (see parse_jsonl).
Fast = Callable[[int, object], Prepared | None]

try:
    # The common record prepared in compiled code (digest/ingest/_arxiv_fast.c), where it was built.
    from digest.ingest import _arxiv_fast as arxiv_fast
except ImportError:
    arxiv_fast = None
else:
    arxiv_fast.configure(
        source=JSONL,
        author_clean=normalise._author_clean,
        urls_extract=normalise.urls_extract,
        sha1=hashlib.sha1,
        dumps=orjson.dumps,
        utc=UTC,
        record_error=RecordError,
        limits=(
            normalise.MAX_TITLE,
            normalise.MAX_ABSTRACT,
            normalise.MAX_AUTHORS,
            normalise.MAX_CATEGORIES,
            normalise.MAX_URLS,
            normalise.MAX_AUTHOR_NAME,
        ),
    )


def fast_path(postgres: bool) -> Fast | None:
    """The compiled preparation for parse_jsonl, COPY text included for PostgreSQL; None where the
    extension was not built."""
    return partial(arxiv_fast.prepared, postgres) if arxiv_fast else None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}


def _rfc2822(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    # The snapshot always writes "Mon, 2 Apr 2007 19:18:42 GMT"; parse that shape directly (the
    # email parser is the slowest step of a record), anything else the general way.
    parts = value.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS and len(parts[4]) == 8:
        try:
            hour, minute, second = parts[4].split(":")
            return datetime(
                int(parts[3]),
                _MONTHS[parts[2]],
                int(parts[1]),
                int(hour),
                int(minute),
                int(second),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _update_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _literal(value: object) -> object:
    """JSON gives lists; the CSV gives their Python repr, read with literal_eval (never eval)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return value


def _authors(row: dict[str, object]) -> list[str]:
    parsed = _literal(row.get("authors_parsed"))
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if isinstance(parts, list | tuple) and len(parts) >= 2:
                last, first = str(parts[0]).strip(), str(parts[1]).strip()
                name = f"{first} {last}" if first and last else first or last
                if len(parts) > 2 and parts[2]:
                    name = f"{name}, {str(parts[2]).strip()}"
                names.append(name)
            elif isinstance(parts, list | tuple) and parts:
                names.append(str(parts[0]))
        return names
    raw = row.get("authors")
    if isinstance(raw, str):
        return [part.strip() for part in raw.replace(" and ", ", ").split(",")]
    return []


def record_from_row(number: int, row: dict[str, object], source: str) -> Parsed:
    try:
        arxiv_id = row.get("id")
        if not isinstance(arxiv_id, str) or not arxiv_id.strip():
            raise RecordError("no id")
        versions = _literal(row.get("versions"))
        published = updated = None
        version = None
        if isinstance(versions, list) and versions:
            first, last = versions[0], versions[-1]
            if isinstance(first, dict):
                published = _rfc2822(first.get("created"))
            if isinstance(last, dict):
                # One version (most papers): its date is parsed once.
                updated = published if last is first else _rfc2822(last.get("created"))
                label = str(last.get("version", ""))
                if label[:1] == "v" and label[1:].isdigit():
                    version = int(label[1:])
        published = published or _update_date(row.get("update_date"))
        categories = row.get("categories")
        record = record_build(
            record=number,
            source=source,
            title=row.get("title"),  # type: ignore[arg-type]
            abstract=row.get("abstract"),  # type: ignore[arg-type]
            authors=_authors(row),
            arxiv_id=arxiv_id,
            categories=[categories] if isinstance(categories, str) else [],
            published_at=published,
            updated_at=updated if updated != published else None,
        )
    except RecordError as error:
        return Reject(number, str(error))
    if version and record.arxiv_version is None:
        record.arxiv_version = version
    return record


def _line_parse(number: int, line: str) -> Parsed | None:
    """The standard library's reading of one decoded line: None for a blank line."""
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except ValueError as error:
        return Reject(number, f"invalid JSON: {error.args[0].split(':')[0]} ({preview(line)})")
    except RecursionError:
        return Reject(number, "invalid JSON: nested too deeply")
    return _object_parse(number, row)


def _object_parse(number: int, row: object) -> Parsed:
    """One line's JSON value as a record: it must be an object."""
    if not isinstance(row, dict):
        return Reject(number, f"expected a JSON object, got {type(row).__name__}")
    return record_from_row(number, row, JSONL)


def parse_jsonl(
    stream: BinaryIO, share: Share | None = None, fast: Fast | None = None
) -> Iterator[Parsed | Prepared]:
    """Every line's record or reject. With a share (part, parts, lines), only the lines of every
    parts-th block of that many lines, starting with block `part`: parsers in several processes
    each take a share of one file, and skipping a line costs nothing next to parsing it. With
    `fast`, a line it prepares comes out prepared instead of as a record (see Fast)."""
    part, parts, lines = share or (0, 1, 1)
    for number, raw in enumerate(stream, start=1):
        if parts > 1 and (number - 1) // lines % parts != part:
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            # orjson reads the bytes directly, several times faster than decoding and json.loads.
            row = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # It is stricter (UTF-8 only, no lone surrogates, NaN or huge integers, no blank
            # lines): the standard reading decides what such a line is, with the usual reasons.
            parsed = _line_parse(number, raw.decode("utf-8", ERRORS).rstrip("\r\n"))
            if parsed is not None:
                yield parsed
            continue
        if fast is not None:
            prepared = fast(number, row)
            if prepared is not None:
                yield prepared
                continue
        yield _object_parse(number, row)


def parse_csv(stream: BinaryIO) -> Iterator[Parsed]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors=ERRORS, newline="")
    reader = csv.DictReader(text)
    try:
        columns = set(reader.fieldnames or [])
    except csv.Error as error:
        raise IngestError(f"not a readable CSV file: {error}") from None
    missing = REQUIRED_COLUMNS - columns
    if missing:
        raise IngestError(f"CSV is missing the column(s) {', '.join(sorted(missing))}")
    number = 0
    end_line = reader.line_num
    while True:
        start_line = end_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The reader cannot resynchronise inside a broken quoted field: keep what came before.
            yield Reject(start_line, f"unreadable CSV: {error}")
            break
        number += 1
        end_line = reader.line_num
        if None in row:
            yield Reject(start_line, f"record {number} has more fields than the header")
            continue
        yield record_from_row(start_line, row, CSV)  # type: ignore[arg-type]
    text.detach()
