"""The bulk write paths behind ingestion: COPY on PostgreSQL, executemany on SQLite.

Both take the same inputs and leave the same rows behind; the service decides *what* to write
(new, changed, unchanged) and these functions only decide *how*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from digest.papers.models import Author, Paper, PaperAuthor

PAPER = Paper._meta.db_table
AUTHOR = Author._meta.db_table
PAPER_AUTHOR = PaperAuthor._meta.db_table

# The columns ingestion owns; curation flags (hidden, featured) and first_seen_at are never
# overwritten by an update.
CONTENT_COLUMNS = (
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
    "modified_at",
    "content_hash",
)
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


def papers_read(*, keys: Sequence[str], title_keys: Sequence[str]) -> list[dict[str, Any]]:
    """Existing papers with one of these keys or title keys, as plain dicts."""
    select = f"SELECT {', '.join(READ_COLUMNS)} FROM {PAPER}"
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"{select} WHERE key = ANY(%s) OR title_key = ANY(%s)", [list(keys), list(title_keys)]
            )
            rows = cursor.fetchall()
        else:
            for column, values in (("key", keys), ("title_key", title_keys)):
                for chunk in _chunks(list(values), SQLITE_CHUNK):
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(f"{select} WHERE {column} IN ({marks})", list(chunk))
                    rows.extend(cursor.fetchall())
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        values = dict(zip(READ_COLUMNS, row, strict=True))
        for column in JSON_COLUMNS:
            values[column] = _load_json(values[column])
        if not is_postgres():
            # SQLite hands datetimes back as text through a raw cursor; convert like the ORM would.
            for column in ("published_at", "updated_at", "modified_at"):
                values[column] = _sqlite_datetime(values[column])
        result[values["id"]] = values
    return sorted(result.values(), key=lambda values: values["id"])


def _sqlite_datetime(value: object) -> object:
    # SQLite keeps naive UTC text; hand back aware datetimes so comparisons with new records work.
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _db_row(columns: Sequence[str], row: dict[str, Any], postgres: bool) -> list[object]:
    values: list[object] = []
    for column in columns:
        value = row[column]
        if column in JSON_COLUMNS:
            value = json.dumps(value, ensure_ascii=False) if value else "[]"
        elif not postgres and isinstance(value, datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        values.append(value)
    return values


def authors_ids(*, authors: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Author ids by key, creating the missing ones; `authors` maps key -> (name, match_key)."""
    keys = list(authors)
    ids: dict[str, int] = {}
    if not keys:
        return ids
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(f"SELECT key, id FROM {AUTHOR} WHERE key = ANY(%s)", [keys])
            ids.update(cursor.fetchall())
            missing = [key for key in keys if key not in ids]
            if missing:
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS ingest_author_stage "
                    "(key varchar(300), name varchar(300), match_key varchar(300)) ON COMMIT DELETE ROWS"
                )
                with cursor.copy("COPY ingest_author_stage (key, name, match_key) FROM STDIN") as copy:
                    for key in missing:
                        name, match_key = authors[key]
                        copy.write_row((key, name, match_key))
                cursor.execute(
                    f"INSERT INTO {AUTHOR} (key, name, match_key) SELECT key, name, match_key "
                    f"FROM ingest_author_stage ON CONFLICT (key) DO NOTHING RETURNING key, id"
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


def papers_insert(*, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new papers; returns their ids by key."""
    if not rows:
        return {}
    columns = ", ".join(INSERT_COLUMNS)
    keys = [row["key"] for row in rows]
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.copy(f"COPY {PAPER} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_db_row(INSERT_COLUMNS, row, True))
            cursor.execute(f"SELECT key, id FROM {PAPER} WHERE key = ANY(%s)", [keys])
            ids.update(cursor.fetchall())
        else:
            marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {PAPER} ({columns}) VALUES ({marks})",
                [_db_row(INSERT_COLUMNS, row, False) for row in rows],
            )
            for chunk in _chunks(keys, SQLITE_CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT key, id FROM {PAPER} WHERE key IN ({marks})", list(chunk))
                ids.update(cursor.fetchall())
    return ids


def papers_update(*, rows: list[dict[str, Any]]) -> None:
    """Rewrite the content columns of existing papers (matched by id)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS ingest_paper_stage AS "
                f"SELECT id, {', '.join(CONTENT_COLUMNS)} FROM {PAPER} WITH NO DATA"
            )
            with cursor.copy(
                f"COPY ingest_paper_stage (id, {', '.join(CONTENT_COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row([row["id"], *_db_row(CONTENT_COLUMNS, row, True)])
            assignments = ", ".join(f"{c} = s.{c}" for c in CONTENT_COLUMNS)
            cursor.execute(f"UPDATE {PAPER} p SET {assignments} FROM ingest_paper_stage s WHERE p.id = s.id")
            cursor.execute("TRUNCATE ingest_paper_stage")
        else:
            assignments = ", ".join(f"{c} = %s" for c in CONTENT_COLUMNS)
            cursor.executemany(
                f"UPDATE {PAPER} SET {assignments} WHERE id = %s",
                [[*_db_row(CONTENT_COLUMNS, row, False), row["id"]] for row in rows],
            )


def authorships_replace(*, paper_ids: list[int], links: list[tuple[int, int, int]]) -> None:
    """Drop the author lists of `paper_ids` and write `links` (paper_id, author_id, position)."""
    with connection.cursor() as cursor:
        if is_postgres():
            if paper_ids:
                cursor.execute(f"DELETE FROM {PAPER_AUTHOR} WHERE paper_id = ANY(%s)", [paper_ids])
            if links:
                with cursor.copy(f"COPY {PAPER_AUTHOR} (paper_id, author_id, position) FROM STDIN") as copy:
                    for link in links:
                        copy.write_row(link)
        else:
            for chunk in _chunks(paper_ids, SQLITE_CHUNK):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {PAPER_AUTHOR} WHERE paper_id IN ({marks})", list(chunk))
            cursor.executemany(
                f"INSERT INTO {PAPER_AUTHOR} (paper_id, author_id, position) VALUES (%s, %s, %s)", links
            )
