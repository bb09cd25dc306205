"""The admin's full-text documents of papers (PostgreSQL): one tsvector row per paper, in a table of
its own and written after ingestion rather than by it.

An expression GIN index on the papers table had every ingest transaction compute each document: about
140 µs a paper, more than storing the paper, its authors and its author links together, and the
larger part of a bulk ingest's time (bench/ingest.py). Now bulk ingestion leaves new papers without
a document and deletes the documents of the papers it changes; `search_documents_index()` fills in
what is missing (a task after every ingest run that stored something, and on beat). Papers saved one
at a time through the ORM (admin edits, merges) refresh their own document in the same transaction.

Races: a document is computed and written under the ingest batch lock, so an ingest batch changing
a paper either deletes the document after it was written or is seen by it; the indexer only inserts
documents that are missing, so it never overwrites a fresher one written by an ORM save.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from digest.papers import bulk
from digest.papers.models import PaperSearchDocument

TABLE = PaperSearchDocument._meta.db_table
# The fields the document is made of: saving any of them refreshes it.
DOCUMENT_FIELDS = {"title", "abstract", "author_names"}
# Must stay what digest/curation/search.py queries: the 'simple' configuration, no stemming or stop words.
DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(p.title, '') || ' ' || coalesce(p.abstract, '') || ' ' "
    "|| coalesce(p.author_names::text, ''))"
)
CHUNK = 5_000


def _write(cursor: CursorWrapper, paper_ids: Sequence[int], conflict: str) -> int:
    cursor.execute(
        f"INSERT INTO {TABLE} (paper_id, document) SELECT p.id, {DOCUMENT} FROM {bulk.PAPER} p "
        f"WHERE p.id = ANY(string_to_array(%s, ' ')::bigint[]) ON CONFLICT (paper_id) {conflict}",
        [" ".join(map(str, paper_ids))],
    )
    return cursor.rowcount


def search_documents_refresh(*, paper_ids: Sequence[int]) -> None:
    """Recompute these papers' documents now (the caller's transaction holds the paper rows)."""
    if paper_ids and bulk.is_postgres():
        with connection.cursor() as cursor:
            _write(cursor, paper_ids, "DO UPDATE SET document = EXCLUDED.document")


def search_documents_missing() -> list[int]:
    """Ids of papers without a document, in id order (one anti-join over the two primary keys)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id FROM {bulk.PAPER} p WHERE NOT EXISTS "
            f"(SELECT 1 FROM {TABLE} s WHERE s.paper_id = p.id) ORDER BY p.id"
        )
        return [row[0] for row in cursor.fetchall()]


def search_documents_index(*, chunk_size: int = CHUNK) -> int:
    """Write the documents of every paper that has none; returns how many were written. Each chunk is
    one transaction, so a long catch-up holds the ingest lock only briefly and keeps its progress."""
    if not bulk.is_postgres():
        return 0
    written = 0
    missing = search_documents_missing()
    for start in range(0, len(missing), chunk_size):
        with transaction.atomic(), connection.cursor() as cursor:
            bulk.lock_batch()
            written += _write(cursor, missing[start : start + chunk_size], "DO NOTHING")
    return written
