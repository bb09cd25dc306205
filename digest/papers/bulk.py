"""The bulk write paths behind ingestion: COPY on PostgreSQL, executemany on SQLite.

Both take the same inputs and leave the same rows behind; the service decides *what* to write
(new, changed, unchanged) and these functions only decide *how*.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from digest.papers.models import Author, Paper, PaperAuthor, PaperSearchDocument

PAPER = Paper._meta.db_table
SEARCH_DOCUMENT = PaperSearchDocument._meta.db_table
AUTHOR = Author._meta.db_table
PAPER_AUTHOR = PaperAuthor._meta.db_table

# The columns ingestion owns; curation flags (hidden, featured) and first_seen_at are never
# overwritten by an update. The record columns are what a record alone decides for a new paper.
RECORD_COLUMNS = (
    "key",
    "arxiv_id",
    "arxiv_version",
    "title_key",
    "title",
    "abstract",
    "author_names",
    "categories",
    "primary_category",
    "sources",
    "code_urls",
    "project_urls",
    "has_code",
    "upvotes",
    "published_at",
    "updated_at",
    "content_hash",
)
CONTENT_COLUMNS = (*RECORD_COLUMNS, "modified_at")
JSON_COLUMNS = {"author_names", "code_urls", "project_urls"}
INSERT_COLUMNS = (*CONTENT_COLUMNS, "first_seen_at", "hidden", "featured")
READ_COLUMNS = ("id", *CONTENT_COLUMNS)
# SQLite's default limit on bound parameters is generous in new builds but 999 in old ones.
SQLITE_CHUNK = 900
_LOCK_ID = 0x1A9E57  # one advisory lock serialises concurrent ingest batches on PostgreSQL


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_json(value: object) -> object:
    return json.loads(value) if isinstance(value, str | bytes) else value


def lock_batch() -> None:
    """Two ingests at once would both decide a paper is new; on PostgreSQL they take turns per
    batch (SQLite's IMMEDIATE transactions already serialise writers)."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])


def commit_without_flush_wait() -> None:
    """Let this transaction's commit return before its WAL reaches disk (PostgreSQL's WAL writer
    flushes it within a fraction of a second, while the next batch is prepared). A crash can lose
    only the latest batches, with the run's counts of them saved in the same transactions;
    ingesting again stores what was lost. The run's final save waits for the flush, which covers
    all WAL before it."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


MATCH_COLUMNS = ("id", "key", "arxiv_id", "title_key", "content_hash")
_TYPES = {"id": "bigint", "key": "varchar", "title_key": "varchar"}


def papers_match(
    *, keys: Sequence[str], title_keys: Sequence[str], title_only_keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The identity and content hash of existing papers with one of these keys or title keys, or
    without an arXiv id and with one of `title_only_keys` (all that an arXiv record can take over by
    its title): enough to tell which records are new and which change nothing, without reading any
    text."""
    return _papers_where(
        MATCH_COLUMNS,
        (
            ("key", keys, ""),
            ("title_key", title_keys, ""),
            ("title_key", title_only_keys, "arxiv_id IS NULL"),
        ),
    )


def papers_read(*, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Existing papers by id, every content column, as plain dicts."""
    rows = _papers_where(READ_COLUMNS, (("id", ids, ""),))
    for values in rows:
        for column in JSON_COLUMNS:
            values[column] = _load_json(values[column])
        if not is_postgres():
            # SQLite hands datetimes back as text through a raw cursor; convert like the ORM would.
            for column in ("published_at", "updated_at", "modified_at"):
                values[column] = _sqlite_datetime(values[column])
    return rows


def _papers_where(
    columns: Sequence[str], conditions: Sequence[tuple[str, Sequence[Any], str]]
) -> list[dict[str, Any]]:
    """Papers where any `column IN values` holds (together with its SQL `also`, where one is
    given), each once, in id order."""
    select = f"SELECT {', '.join(columns)} FROM {PAPER}"
    rows: list[tuple[Any, ...]] = []
    # (column, values, the SQL that precedes the column's test)
    conditions = [
        (column, list(values), f"{also} AND " if also else "")
        for column, values, also in conditions
        if values
    ]
    if not conditions:
        return []
    with connection.cursor() as cursor:
        if is_postgres():
            # Each list goes as one space-joined string (keys and ids hold no spaces): binding
            # thousands of values as an array parameter costs more on the client than the lookup.
            where = " OR ".join(
                f"({also}{column} = ANY(string_to_array(%s, ' ')::{_TYPES[column]}[]))"
                for column, _, also in conditions
            )
            cursor.execute(
                f"{select} WHERE {where}", [" ".join(map(str, values)) for _, values, _ in conditions]
            )
            rows = cursor.fetchall()
        else:
            for column, values, also in conditions:
                for chunk in _chunks(values, SQLITE_CHUNK):
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(f"{select} WHERE {also}{column} IN ({marks})", list(chunk))
                    rows.extend(cursor.fetchall())
    by_id = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    return [by_id[key] for key in sorted(by_id)]


def _sqlite_datetime(value: object) -> object:
    # SQLite keeps naive UTC text; hand back aware datetimes so comparisons with new records work.
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _db_row(columns: tuple[str, ...], row: dict[str, Any], postgres: bool) -> list[object]:
    get, json_positions = _layout(columns)
    values = list(get(row))
    for position in json_positions:
        value = values[position]
        if postgres:
            # jsonb re-parses the text, so the fastest encoder will do.
            values[position] = orjson.dumps(value or []).decode()
        else:
            # SQLite keeps the text as written: the same text as the ORM writes.
            values[position] = json.dumps(value, ensure_ascii=False) if value else "[]"
    if not postgres:
        values = [
            connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in values
        ]
    return values


@lru_cache(maxsize=8)
def _layout(columns: tuple[str, ...]) -> tuple[Callable[[dict[str, Any]], tuple[Any, ...]], list[int]]:
    """A getter of these columns from a row dict, and where the JSON ones are."""
    return itemgetter(*columns), [i for i, column in enumerate(columns) if column in JSON_COLUMNS]


def authors_ids(*, authors: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Author ids by key, creating the missing ones; `authors` maps key -> (name, match_key)."""
    keys = list(authors)
    ids: dict[str, int] = {}
    if not keys:
        return ids
    # A transaction of its own where there is none: the staging table empties at each commit.
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            # Insert first: a batch's unknown authors are mostly new ones, and only the keys that
            # existed need a second look. COPY into a staging table, because psycopg adapting
            # three long lists as array parameters costs more than the whole insert.
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS ingest_author_stage "
                "(key varchar(300), name varchar(300), match_key varchar(300)) ON COMMIT DELETE ROWS"
            )
            with cursor.copy("COPY ingest_author_stage (key, name, match_key) FROM STDIN") as copy:
                for key in keys:
                    copy.write_row((key, *authors[key]))
            cursor.execute(
                f"INSERT INTO {AUTHOR} (key, name, match_key) SELECT key, name, match_key "
                f"FROM ingest_author_stage ON CONFLICT (key) DO NOTHING RETURNING key, id"
            )
            ids.update(cursor.fetchall())
            if len(ids) < len(keys):
                cursor.execute(
                    f"SELECT a.key, a.id FROM {AUTHOR} a JOIN ingest_author_stage s ON s.key = a.key"
                )
                ids.update(cursor.fetchall())
            cursor.execute("TRUNCATE ingest_author_stage")
        else:
            cursor.executemany(
                f"INSERT OR IGNORE INTO {AUTHOR} (key, name, match_key) VALUES (%s, %s, %s)",
                [(key, *authors[key]) for key in keys],
            )
            for chunk in _chunks(keys, SQLITE_CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT key, id FROM {AUTHOR} WHERE key IN ({marks})", list(chunk))
                ids.update(cursor.fetchall())
    return ids


def copy_text(values: Iterable[object]) -> str:
    """Values as tab-separated fields of COPY's text format (no line end). By hand, because
    psycopg's per-value adaptation costs several times more for these simple types."""
    return "\t".join(_copy_field(value) for value in values)


def _copy_field(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, datetime):
        return value.isoformat()
    elif isinstance(value, list):
        text = orjson.dumps(value).decode()
    else:
        raise TypeError(f"no COPY text for {type(value).__name__}")
    return copy_escaped(text)


def copy_escaped(text: str) -> str:
    """Text as one field of COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


_COPY_ESCAPE = re.compile(r"\\(.)")
_COPY_UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def copy_unescaped(text: str) -> str:
    """One field of COPY's text format as the text it holds: copy_escaped undone."""
    if "\\" not in text:
        return text
    return _COPY_ESCAPE.sub(lambda match: _COPY_UNESCAPED[match[1]], text)


_INTEGER_COLUMNS = {"arxiv_version", "upvotes"}
_TIME_COLUMNS = {"published_at", "updated_at"}


def record_copy_fields(copy: bytes) -> dict[str, Any]:
    """The record columns of a record_copy_text line, as the values it was made from."""
    values: dict[str, Any] = {}
    for column, field in zip(RECORD_COLUMNS, copy.decode().split("\t"), strict=True):
        if field == "\\N":
            value: Any = None
        elif column in JSON_COLUMNS:
            value = orjson.loads(copy_unescaped(field))
        elif column in _INTEGER_COLUMNS:
            value = int(field)
        elif column in _TIME_COLUMNS:
            value = datetime.fromisoformat(field)
        elif column == "has_code":
            value = field == "t"
        else:
            value = copy_unescaped(field)
        values[column] = value
    return values


def record_copy_text(row: dict[str, Any]) -> bytes:
    """The record columns of a new paper row in COPY text, encoded, formatted ahead of time (the
    parser process does it, so the storing process only adds the id and the times and neither
    decodes nor encodes the text)."""
    return copy_text(_layout(RECORD_COLUMNS)[0](row)).encode()


def papers_insert(*, rows: list[dict[str, Any]]) -> None:
    """Insert new papers, setting each row's "id". A row may carry "record_copy_text"."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            # Ids drawn up front (one statement) let COPY carry them, instead of reading every new
            # paper back by key afterwards to learn its id. The sequence is looked up once, in a
            # subquery kept apart: called per row, the catalogue lookup cost 6 times the nextval.
            cursor.execute(
                f"SELECT nextval(s.id) FROM (SELECT pg_get_serial_sequence('{PAPER}', 'id')::regclass"
                f" AS id OFFSET 0) s, generate_series(1, %s)",
                [len(rows)],
            )
            for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True):
                row["id"] = new_id
            columns = ("id", *INSERT_COLUMNS)
            # The last four columns are the same for nearly every row of a batch: format them once.
            tails: dict[tuple[object, ...], bytes] = {}
            with cursor.copy(f"COPY {PAPER} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, len(rows), 1_000):
                    lines = []
                    for row in rows[start : start + 1_000]:
                        tail = (row["modified_at"], row["first_seen_at"], row["hidden"], row["featured"])
                        if tail not in tails:
                            tails[tail] = copy_text(tail).encode()
                        record = row.get("record_copy_text") or record_copy_text(row)
                        lines.append(b"%d\t%b\t%b\n" % (row["id"], record, tails[tail]))
                    copy.write(b"".join(lines))
        else:
            marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {PAPER} ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})",
                [_db_row(INSERT_COLUMNS, row, False) for row in rows],
            )
            keys = [row["key"] for row in rows]
            ids: dict[str, int] = {}
            for chunk in _chunks(keys, SQLITE_CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT key, id FROM {PAPER} WHERE key IN ({marks})", list(chunk))
                ids.update(cursor.fetchall())
            for row in rows:
                row["id"] = ids[row["key"]]


def papers_update(*, rows: list[dict[str, Any]]) -> int:
    """Rewrite the content columns of existing papers (matched by id) that still hold what was read
    ("stored_hash"); how many did."""
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS ingest_paper_stage AS "
                f"SELECT id, content_hash AS stored_hash, {', '.join(CONTENT_COLUMNS)} FROM {PAPER} WITH NO DATA"
            )
            columns = ("id", "stored_hash", *CONTENT_COLUMNS)
            with cursor.copy(f"COPY ingest_paper_stage ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_db_row(columns, row, True))
            assignments = ", ".join(f"{c} = s.{c}" for c in CONTENT_COLUMNS)
            cursor.execute(
                f"UPDATE {PAPER} p SET {assignments} FROM ingest_paper_stage s "
                f"WHERE p.id = s.id AND p.content_hash = s.stored_hash"
            )
            updated = cursor.rowcount
            # Stale now; search_documents_index() writes them again after the run.
            cursor.execute(
                f"DELETE FROM {SEARCH_DOCUMENT} WHERE paper_id IN (SELECT id FROM ingest_paper_stage)"
            )
            cursor.execute("TRUNCATE ingest_paper_stage")
        else:
            assignments = ", ".join(f"{c} = %s" for c in CONTENT_COLUMNS)
            cursor.executemany(
                f"UPDATE {PAPER} SET {assignments} WHERE id = %s AND content_hash = %s",
                [[*_db_row(CONTENT_COLUMNS, row, False), row["id"], row["stored_hash"]] for row in rows],
            )
            updated = cursor.rowcount  # summed over the rows
    return updated


# Author links go in COPY's binary format: a fixed-size record per link, built for all of them at
# once by numpy, instead of formatting and the server parsing three numbers of text per link.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)
_LINK = np.dtype(
    [
        ("fields", ">i2"),
        ("paper_size", ">i4"),
        ("paper", ">i8"),  # bigint
        ("author_size", ">i4"),
        ("author", ">i8"),  # bigint
        ("position_size", ">i4"),
        ("position", ">i2"),  # smallint
    ]
)


def _links_binary(papers: list[int], counts: list[int], authors: list[int]) -> bytes:
    sizes = np.array(counts, dtype=np.int64)
    total = int(sizes.sum())
    records = np.empty(total, dtype=_LINK)
    records["fields"] = 3
    records["paper_size"] = 8
    records["paper"] = np.repeat(np.array(papers, dtype=np.int64), sizes)
    records["author_size"] = 8
    records["author"] = authors
    records["position_size"] = 2
    records["position"] = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return _COPY_HEADER + records.tobytes() + _COPY_TRAILER


def authorships_replace(
    *, paper_ids: list[int], papers: list[int], counts: list[int], authors: list[int]
) -> None:
    """Drop the author lists of `paper_ids` and write those of `papers`: `counts[i]` authors each, in
    order, taken from `authors` (the author ids of all of them, one paper after the other)."""
    with connection.cursor() as cursor:
        if is_postgres():
            if paper_ids:
                cursor.execute(f"DELETE FROM {PAPER_AUTHOR} WHERE paper_id = ANY(%s)", [paper_ids])
            if any(counts):
                with cursor.copy(
                    f"COPY {PAPER_AUTHOR} (paper_id, author_id, position) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(_links_binary(papers, counts, authors))
        else:
            for chunk in _chunks(paper_ids, SQLITE_CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {PAPER_AUTHOR} WHERE paper_id IN ({marks})", list(chunk))
            author_ids = iter(authors)
            cursor.executemany(
                f"INSERT INTO {PAPER_AUTHOR} (paper_id, author_id, position) VALUES (%s, %s, %s)",
                [
                    (paper, next(author_ids), position)
                    for paper, count in zip(papers, counts, strict=True)
                    for position in range(count)
                ],
            )
