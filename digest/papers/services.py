"""Writes on the paper side: ingesting a file or URL into papers, authors and an IngestRun.

The parsers (`digest.ingest`) turn input into clean records; here each batch of records is merged
with what is already stored (dedup by canonical key, arXiv versions, the same paper from several
sources) and only what changed is written, in bulk (`digest.papers.bulk`).
"""

from __future__ import annotations

import gc
import gzip
import heapq
import itertools
import logging
import os
import queue
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import Any, BinaryIO

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from digest.ingest import detect, normalise
from digest.ingest.errors import IngestError
from digest.ingest.fetch import fetch, is_url
from digest.ingest.formats.arxiv_snapshot import Share, fast_path
from digest.ingest.parallel import in_child_process
from digest.ingest.records import PaperRecord, Prepared, Reject
from digest.papers import bulk
from digest.papers.models import IngestRun, Source

logger = logging.getLogger(__name__)

BATCH_SIZE = 5_000
# Inputs from this size on are parsed by INGEST_PARSERS processes where the format allows it.
SHARED_MIN_BYTES = 16 * 1024 * 1024
MAX_REJECTS_KEPT = 200
# Parser processes run ahead of the storing process, which waits on PostgreSQL: where they compete
# for a core, the storing side and the database server should win. In alternating runs of 100,000
# records, a run was 2-5 % faster with the parsers at niceness 10 than at 0, and no faster at 19.
PARSER_NICENESS = 10
# Author ids remembered during a run: ~100 bytes each, so at most ~50 MB on the largest inputs.
AUTHORS_REMEMBERED = 500_000
# With the cyclic garbage collector paused, a full collection after this many batches frees what
# cycles there are (rare here: records, rows and COPY text are plain trees).
COLLECT_EVERY = 20

__all__ = ["IngestError", "ingest_location", "source_claim_due"]


# --- Merging one record into the stored state ---------------------------------------------------


_HASHED = itemgetter(
    "title",
    "abstract",
    "author_names",
    "categories",
    "arxiv_id",
    "arxiv_version",
    "published_at",
    "updated_at",
    "upvotes",
    "sources",
    "code_urls",
    "project_urls",
)


def _hash(row: dict[str, Any]) -> str:
    return _hash_of(*_HASHED(row))


def _hash_of(
    title: str,
    abstract: str,
    authors: list[str],
    categories: str,
    arxiv_id: str | None,
    version: int | None,
    published: datetime,
    updated: datetime | None,
    upvotes: int | None,
    sources: str,
    code_urls: list[str],
    project_urls: list[str],
) -> str:
    """The content hash of a paper's stored columns, from a row (_hash) or a record (_prepared)."""
    return normalise.content_hash(
        (
            title,
            abstract,
            authors,
            categories,
            arxiv_id,
            version,
            published.timestamp(),
            updated.timestamp() if updated else None,
            upvotes,
            sources,
            code_urls,
            project_urls,
        )
    )


@dataclass(slots=True)
class _Copied:
    """A record whose new paper is already COPY text (the parser process made it): it crosses over
    as that text and what finding its paper and storing its authors takes. Pickling and unpickling
    every field cost three times as much, for the few records that meet a stored paper or one of
    their own batch (`full` reads the other fields back from the text)."""

    record: int
    arxiv_id: str | None
    title_key: str
    authors: list[str]
    author_keys: list[str]
    copy_text: bytes

    # The PaperRecord rule, from the same two fields.
    key = PaperRecord.key

    def full(self) -> PaperRecord:
        values = bulk.record_copy_fields(self.copy_text)
        return PaperRecord(
            record=self.record,
            source=values["sources"],
            title=values["title"],
            abstract=values["abstract"],
            authors=self.authors,
            arxiv_id=self.arxiv_id,
            arxiv_version=values["arxiv_version"],
            categories=values["categories"].split(),
            published_at=values["published_at"],
            updated_at=values["updated_at"],
            upvotes=values["upvotes"],
            code_urls=values["code_urls"],
            project_urls=values["project_urls"],
            title_key=self.title_key,
            author_keys=self.author_keys,
        )


# How a prepared record with its COPY text crosses from a parser process: these PaperRecord fields
# (record, arxiv_id, title_key, authors, author_keys), its content hash and the text. The compiled
# path (digest/ingest/_arxiv_fast.c) builds the same tuple itself.
_CROSSING = itemgetter(0, 5, 13, 4, 14)


def _crossing(prepared: Prepared) -> Prepared:
    values, content_hash, copy = prepared
    return (_CROSSING(values), content_hash, copy) if copy is not None else prepared


def _received(prepared: Prepared) -> Parsed:
    values, content_hash, copy = prepared
    if copy is None:
        return PaperRecord.from_tuple(values), content_hash, copy
    return _Copied(*values, copy), content_hash, copy


def _row_new(record: PaperRecord, now: datetime, content_hash: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": None,
        "key": record.key,
        "arxiv_id": record.arxiv_id,
        "arxiv_version": record.arxiv_version,
        "title_key": record.title_key,
        "title": record.title,
        "abstract": record.abstract,
        "author_names": record.authors,
        "author_keys": record.author_keys,
        "categories": " ".join(record.categories),
        "primary_category": record.categories[0] if record.categories else "",
        "sources": record.source,
        "code_urls": record.code_urls,
        "project_urls": record.project_urls,
        "has_code": bool(record.code_urls),
        "upvotes": record.upvotes,
        "published_at": record.published_at or now,
        "updated_at": record.updated_at,
        "modified_at": now,
        "first_seen_at": now,
        "hidden": False,
        "featured": False,
    }
    row["content_hash"] = content_hash or _hash(row)
    return row


def _prepared(record: PaperRecord, postgres: bool) -> tuple[str | None, bytes | None]:
    """What the parser process works out ahead for a record: the content hash of the paper it
    alone makes, and, for PostgreSQL, that paper's record columns in COPY text. None for both when
    the paper would depend on the time of storing (no publication date).

    Straight from the record: the same values as `_hash(_row_new(record, ...))` and
    `bulk.record_copy_text` of that row (a test holds them equal), at a third of the cost, paid
    for every record of a snapshot."""
    published, updated = record.published_at, record.updated_at
    if published is None:
        return None, None
    code, project = record.code_urls, record.project_urls
    version, upvotes = record.arxiv_version, record.upvotes
    categories = " ".join(record.categories)
    content_hash = _hash_of(
        record.title,
        record.abstract,
        record.authors,
        categories,
        record.arxiv_id,
        version,
        published,
        updated,
        upvotes,
        record.source,
        code,
        project,
    )
    if not postgres:
        return content_hash, None
    text = bulk.copy_escaped
    fields = (
        record.key,
        record.arxiv_id or "\\N",
        "\\N" if version is None else str(version),
        record.title_key,
        text(record.title),
        text(record.abstract),
        text(orjson.dumps(record.authors).decode()),
        categories,
        record.categories[0] if record.categories else "",
        record.source,
        text(orjson.dumps(code).decode()),
        text(orjson.dumps(project).decode()),
        "t" if code else "f",
        "\\N" if upvotes is None else str(upvotes),
        published.isoformat(),
        "\\N" if updated is None else updated.isoformat(),
        content_hash,
    )
    return content_hash, "\t".join(fields).encode()


def _rank(arxiv_id: str | None) -> int:
    # An arXiv record is authoritative over a title-only one (HF pages have no ids or authors).
    return 2 if arxiv_id else 1


def _merge(row: dict[str, Any], record: PaperRecord) -> None:
    """Fold `record` into `row` in place. The merge is idempotent and does not depend on which of
    two sightings came first, so re-ingesting anything reports it unchanged."""
    wins = _rank(record.arxiv_id) > _rank(row["arxiv_id"]) or (
        _rank(record.arxiv_id) == _rank(row["arxiv_id"])
        and (record.arxiv_version or 0) >= (row["arxiv_version"] or 0)
    )
    if wins:
        if record.arxiv_id:
            row["key"] = record.arxiv_id
            row["arxiv_id"] = record.arxiv_id
            row["arxiv_version"] = record.arxiv_version or row["arxiv_version"]
        row["title"] = record.title
        row["title_key"] = record.title_key
        row["abstract"] = record.abstract
        if record.authors:
            row["author_names"] = record.authors
            row["author_keys"] = record.author_keys
        if record.categories:
            row["categories"] = " ".join(record.categories)
            row["primary_category"] = record.categories[0]
        if record.updated_at and (row["updated_at"] is None or record.updated_at > row["updated_at"]):
            row["updated_at"] = record.updated_at
    if record.published_at and record.published_at < row["published_at"]:
        row["published_at"] = record.published_at
    if record.upvotes is not None:
        row["upvotes"] = record.upvotes
    row["sources"] = " ".join(sorted({*row["sources"].split(), record.source}))
    row["code_urls"] = normalise.unique([*row["code_urls"], *record.code_urls])[: normalise.MAX_URLS]
    row["project_urls"] = normalise.unique([*row["project_urls"], *record.project_urls])[: normalise.MAX_URLS]
    row["has_code"] = bool(row["code_urls"])


class _Index:
    """Stored papers indexed the ways records find them."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, dict[str, Any]] = {}
        self.title_only: dict[str, dict[str, Any]] = {}
        for row in rows:
            self._index(row)

    def _index(self, row: dict[str, Any]) -> None:
        self.by_key[row["key"]] = row
        self.by_title.setdefault(row["title_key"], row)
        if row["arxiv_id"] is None:
            self.title_only[row["title_key"]] = row

    def find(self, record: PaperRecord | _Copied) -> dict[str, Any] | None:
        if record.arxiv_id:
            # An arXiv record takes over a title-keyed paper, never another arXiv paper.
            return self.by_key.get(record.arxiv_id) or self.title_only.get(record.title_key)
        return self.by_key.get(record.key) or self.by_title.get(record.title_key)


class _Batch(_Index):
    """The stored papers a batch touches, merged with its records one by one."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["stored_hash"] = row["content_hash"]
            row["stored_authors"] = list(row["author_names"])
        super().__init__(rows)
        self.rows = rows

    def apply(
        self, record: PaperRecord | _Copied, fresh_hash: str | None, copy_text: bytes | None, now: datetime
    ) -> str:
        """'new', 'updated' or 'unchanged' for this record."""
        row = self.find(record)
        if row is None:
            row = (
                _row_copied(record, now, fresh_hash)
                if type(record) is _Copied
                else _row_new(record, now, fresh_hash)
            )
            row["record_copy_text"] = copy_text
            row["stored_hash"] = None
            row["stored_authors"] = None
            self.rows.append(row)
            self._index(row)
            return "new"
        if "copied" in row:  # a new paper of this batch, until now only its COPY text
            row.update(_row_new(row.pop("copied").full(), row["modified_at"], row["content_hash"]))
        before = row["content_hash"]
        old_key, was_title_only = row["key"], row["arxiv_id"] is None
        row.pop("record_copy_text", None)  # formatted before this merge
        _merge(row, record.full() if type(record) is _Copied else record)
        row["content_hash"] = _hash(row)
        if row["key"] != old_key:
            self.by_key.pop(old_key, None)
            self.by_key[row["key"]] = row
        if was_title_only and row["arxiv_id"] is not None:
            self.title_only.pop(row["title_key"], None)
        if row["content_hash"] == before:
            return "unchanged"
        row["modified_at"] = now
        return "updated"


# A record and what _prepared says about it.
Parsed = tuple[PaperRecord | _Copied, str | None, bytes | None]


def _row_copied(record: _Copied, now: datetime, content_hash: str | None) -> dict[str, Any]:
    """A new paper's row with only what finding it, inserting its COPY text and linking its authors
    read; the rest of _row_new's row is made only if another record merges into it."""
    return {
        "id": None,
        "key": record.key,
        "arxiv_id": record.arxiv_id,
        "title_key": record.title_key,
        "author_names": record.authors,
        "author_keys": record.author_keys,
        "content_hash": content_hash,
        "modified_at": now,
        "first_seen_at": now,
        "hidden": False,
        "featured": False,
        "copied": record,
    }


def _unchanged(parsed: list[Parsed], stored: list[dict[str, Any]]) -> tuple[set[int], set[int]]:
    """(positions of records, ids of stored papers) where the record provably changes nothing: its
    own content hash equals the stored paper's, and no other record of the batch can reach that
    paper (by key or title key), so the paper's text never needs reading."""
    if not stored:
        return set(), set()
    index = _Index(stored)
    keys = Counter(record.key for record, _, _ in parsed)
    titles = Counter(record.title_key for record, _, _ in parsed)
    positions: set[int] = set()
    ids: set[int] = set()
    for position, (record, fresh_hash, _) in enumerate(parsed):
        row = index.find(record)
        if (
            row is not None
            and fresh_hash is not None
            and row["content_hash"] == fresh_hash
            and keys[row["key"]] == 1
            and titles[row["title_key"]] == 1
        ):
            positions.add(position)
            ids.add(row["id"])
    return positions, ids


_RUN_COUNTS = ["new", "updated", "unchanged", "rejected", "rejects"]


def _store_batch(
    run: IngestRun, parsed: list[Parsed], author_ids: dict[str, int], plan: _Plan | None = None
) -> None:
    """Merge one batch into the store and count it into `run`, saved in the same transaction (so
    the run's counts are those of the batches stored, even after a crash). With a `plan` read
    before the batch lock was taken, the writes check that what it read is still what is stored
    (`_StaleRead` if not)."""
    counted = (run.new, run.updated, run.unchanged)
    try:
        with transaction.atomic():
            bulk.lock_batch()
            bulk.commit_without_flush_wait()
            plan = plan or _plan_batch(parsed, *_record_keys(parsed), author_ids)
            _write_plan(plan)
            run.new += plan.counts["new"]
            run.updated += plan.counts["updated"]
            run.unchanged += plan.counts["unchanged"]
            run.save(update_fields=_RUN_COUNTS)
    except BaseException:
        run.new, run.updated, run.unchanged = counted  # the batch was rolled back
        raise


def _store_batch_or_retry(
    run: IngestRun, parsed: list[Parsed], author_ids: dict[str, int], plan: _Plan | None = None
) -> None:
    try:
        _store_batch(run, parsed, author_ids, plan)
    except (IntegrityError, _StaleRead):
        # Someone else stored or changed one of these papers between our read and write: read again,
        # holding the batch lock.
        logger.warning("ingest batch collided with a concurrent write; retrying it once")
        author_ids.clear()
        _store_batch(run, parsed, author_ids)


class _StaleRead(Exception):
    """A paper changed between planning its update and writing it."""


@dataclass(slots=True)
class _Plan:
    """What one batch writes, decided from the stored papers as they were read."""

    counts: dict[str, int]
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    # The keys and title keys of the records and of the stored papers they reach.
    keys: set[str]
    # The rows whose author lists are written, how many authors each has, and their author ids,
    # one row after the other.
    relinks: list[dict[str, Any]]
    author_counts: list[int]
    author_ids: list[int]


def _record_keys(parsed: list[Parsed]) -> tuple[set[str], set[str]]:
    """The keys (an arXiv record's is its arXiv id) and title keys of a batch's records."""
    return {r.key for r, _, _ in parsed}, {r.title_key for r, _, _ in parsed}


def _plan_batch(
    parsed: list[Parsed], keys: set[str], title_keys: set[str], author_ids: dict[str, int]
) -> _Plan:
    """Read what a batch's records (with these `_record_keys`) reach and merge them: the rows to
    insert and to update, and the ids of their authors, creating the authors not stored yet
    (`author_ids`, key -> id, is the run's memory of them, filled here, so each author is looked
    up or created once per run rather than once per batch)."""
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    now = timezone.now()
    # An arXiv record reaches another paper by its title only where that paper has no arXiv id
    # (_Index.find): asking for just those spares the title key index 5,000 probes a batch.
    open_titles = {record.title_key for record, _, _ in parsed if record.arxiv_id is None}
    stored = bulk.papers_match(
        keys=list(keys), title_keys=list(open_titles), title_only_keys=list(title_keys - open_titles)
    )
    quiet, settled = _unchanged(parsed, stored)
    counts["unchanged"] += len(quiet)
    reachable = [row["id"] for row in stored if row["id"] not in settled]
    batch = _Batch(bulk.papers_read(ids=reachable) if reachable else [])
    for position, (record, fresh_hash, copy_text) in enumerate(parsed):
        if position not in quiet:
            counts[batch.apply(record, fresh_hash, copy_text, now)] += 1
    inserts = [row for row in batch.rows if row["id"] is None]
    updates = [
        row for row in batch.rows if row["id"] is not None and row["content_hash"] != row["stored_hash"]
    ]
    touched = keys | title_keys | {row["key"] for row in stored} | {row["title_key"] for row in stored}
    relinks = inserts + [row for row in updates if row["author_names"] != row["stored_authors"]]
    # Whole-batch lists and C-level loops: a Python step per author of every paper cost more than
    # the rest of storing the paper's authors.
    keys_per_row = list(map(_author_keys, relinks))
    flat = list(itertools.chain.from_iterable(keys_per_row))
    names = list(itertools.chain.from_iterable(map(itemgetter("author_names"), relinks)))
    ids = _authors_ids(flat, names, author_ids)
    return _Plan(counts, inserts, updates, touched, relinks, list(map(len, keys_per_row)), ids)


def _write_plan(plan: _Plan) -> None:
    """The writes of one batch, inside its transaction."""
    if not plan.inserts and not plan.updates:
        return
    bulk.papers_insert(rows=plan.inserts)
    if bulk.papers_update(rows=plan.updates) < len(plan.updates):
        raise _StaleRead
    bulk.authorships_replace(
        paper_ids=[row["id"] for row in plan.relinks if row["stored_authors"] is not None],
        papers=[row["id"] for row in plan.relinks],
        counts=plan.author_counts,
        authors=plan.author_ids,
    )


def _authors_ids(keys: list[str], names: list[str], author_ids: dict[str, int]) -> list[int]:
    """The ids of the authors with these keys (and, in the same order, names), creating the authors
    not stored yet (the first spelling seen of a name becomes its display name) and remembering
    them in `author_ids`."""
    if len(author_ids) > AUTHORS_REMEMBERED:
        author_ids.clear()  # bounded memory on huge inputs; the authors are simply looked up again
    # Each distinct key is looked up in the run's memory once: a probe of that large dict misses
    # the CPU caches, a probe of this batch's small one does not.
    distinct = list(dict.fromkeys(keys))
    known = dict(zip(distinct, map(author_ids.get, distinct), strict=True))
    unseen = [key for key, author_id in known.items() if author_id is None]
    if unseen:
        first_spelling = dict(zip(reversed(keys), reversed(names), strict=True))
        missing = {
            key: (first_spelling[key], normalise.author_match_key_keyed(first_spelling[key], key))
            for key in unseen
        }
        created = bulk.authors_ids(authors=missing)
        author_ids.update(created)
        known.update(created)
    return list(map(known.__getitem__, keys))


def _author_keys(row: dict[str, Any]) -> list[str]:
    """The author keys of a row's names: the parser's when the names are a record's, else computed."""
    keys = row.get("author_keys")
    if keys is None or len(keys) != len(row["author_names"]):
        keys = row["author_keys"] = [normalise.author_key(name) for name in row["author_names"]]
    return keys


# --- Runs ----------------------------------------------------------------------------------------


def _batches(
    parsed: Iterable[PaperRecord | Prepared | Reject], block_lines: int | None
) -> Iterator[tuple[int, list[PaperRecord | Prepared], list[Reject]]]:
    """(order, records, rejects) per batch of at most BATCH_SIZE records. A parser with a share of
    the input (`block_lines` set) makes one batch of each block of lines, numbered by block, so that
    batches from several parsers merge back into input order; otherwise `order` counts batches."""
    batch: list[PaperRecord | Prepared] = []
    rejects: list[Reject] = []
    order = 0
    for item in parsed:
        if block_lines:
            number = item[0][0] if type(item) is tuple else item.record
            block = (number - 1) // block_lines
            if block != order and (batch or rejects):
                yield order, batch, rejects
                batch, rejects = [], []
            order = block
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        batch.append(item)
        if not block_lines and len(batch) >= BATCH_SIZE:
            yield order, batch, rejects
            batch, rejects = [], []
            order += 1
    if batch or rejects:
        yield order, batch, rejects


def _parse(location: str, format: str | None, share: Share | None) -> Iterator[Any]:
    """Runs in a parser process: the format name, then (order, records as tuples with what
    _prepared says about them, in their _crossing form, rejects, bytes of input read so far) per
    batch."""
    with ExitStack() as stack:
        stream = _open(location, stack)
        # Asked once: through Django's connection proxy the question costs 2 µs, a tenth of a record.
        postgres = bulk.is_postgres()
        name, parsed = detect.records(
            stream, format=format, name_hint=location, share=share, fast=fast_path(postgres)
        )
        yield name
        block_lines = share[2] if share and name in detect.SHARED_PARSERS else None
        for number, (order, records, rejects) in enumerate(_batches(parsed, block_lines), start=1):
            position = None
            with suppress(OSError, ValueError):
                position = stream.tell()
            # The compiled path's items are already in their crossing form.
            prepared = [
                item if type(item) is tuple else _crossing((item.to_tuple(), *_prepared(item, postgres)))
                for item in records
            ]
            yield order, prepared, rejects, position
            if number % COLLECT_EVERY == 0:
                gc.collect()  # the run paused automatic collection (_collector_paused)


def _local_size(location: str) -> int | None:
    """The size of a local file; None for a URL, or a path that _open will report."""
    if is_url(location):
        return None
    try:
        return os.path.getsize(location)
    except OSError:
        return None


def _parser_count(location: str) -> int:
    """How many parser processes share an input: several only for a local file big enough to be
    worth the extra process (each reads the whole file, and parses its share of the lines)."""
    size = _local_size(location)
    return settings.INGEST_PARSERS if size is not None and size >= SHARED_MIN_BYTES else 1


def _parsers(location: str, format: str | None, stack: ExitStack) -> tuple[str, Iterator[Any]]:
    """(format name, parsed batches in input order), from one or more parser processes."""
    count = _parser_count(location)
    children = [
        stack.enter_context(
            closing(
                in_child_process(
                    partial(_parse, location, format, (part, count, BATCH_SIZE) if count > 1 else None),
                    niceness=PARSER_NICENESS,
                )
            )
        )
        for part in range(count)
    ]
    names = [next(child) for child in children]
    return names[0], heapq.merge(*children, key=itemgetter(0))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause automatic garbage collection for a run (the forked parser inherits the pause). A batch
    allocates millions of objects, each allocation counting towards the next collection, and the
    collections found nothing to free while costing a fifth of the run's time (bench/ingest.py).

    What exists before the run is frozen for its length (unless someone froze objects already), so
    the run's periodic collections only go through what the run made: half their cost."""
    was_enabled = gc.isenabled()
    gc.disable()
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    try:
        yield
    finally:
        if freezing:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _ingest_batches(
    run: IngestRun, batches: Iterator[Any], on_batch: Callable[[int | None], None] | None
) -> None:
    """Store parsed batches, counting into `run` (saved after every batch, so a run interrupted
    half-way shows how far it got; re-running it is safe).

    On PostgreSQL, outside a caller's transaction, a writer thread stores each batch while this
    thread plans the next one (see _Writer); otherwise each batch is planned and stored in turn."""
    writer = _Writer(run) if bulk.is_postgres() and not connection.in_atomic_block else None
    author_ids: dict[str, int] = {}  # without a writer: see _plan_batch
    try:
        for done, (_, prepared, rejects, position) in enumerate(batches, start=1):
            parsed = list(map(_received, prepared))
            if writer is None:
                _store_counted(run, parsed, rejects, author_ids)
            else:
                writer.store(parsed, rejects)
            if on_batch:
                on_batch(position)
            if done % COLLECT_EVERY == 0:
                gc.collect()
    except BaseException:
        if writer is not None:
            writer.finish()
        raise
    if writer is not None:
        error = writer.finish()
        if error is not None:
            raise error


def _store_counted(
    run: IngestRun,
    parsed: list[Parsed],
    rejects: list[Reject],
    author_ids: dict[str, int],
    plan: _Plan | None = None,
) -> None:
    """Count a batch's rejects into `run`, then store its records (or save the counts alone)."""
    for item in rejects:
        run.rejected += 1
        if len(run.rejects) < MAX_REJECTS_KEPT:
            run.rejects.append({"record": item.record, "reason": item.reason})
    if parsed:
        _store_batch_or_retry(run, parsed, author_ids, plan)
    else:
        run.save(update_fields=_RUN_COUNTS)


class _Writer:
    """Stores batches in order, each in its own transaction, on this thread's own connection,
    while the caller plans the next batch. Planning (merging records, in Python) and writing
    (waiting for PostgreSQL, with the GIL released) then overlap instead of taking turns.

    A batch is planned from the store as it is before the batches still being written commit,
    so one that shares a key or title key with them waits for them first; a paper changed by
    anyone else in between is caught by the writes (`_StaleRead`, or a unique key) and the
    batch is read and written again under the batch lock. At most two planned batches are held.

    Planning also creates the batch's new authors, committed at once, so the writer's transaction
    holds only the papers and their author lists. A batch that then fails leaves its new authors
    behind, without papers; ingesting again finds them."""

    def __init__(self, run: IngestRun) -> None:
        self._run = run
        # Authors are created as batches are planned, each in a transaction of its own; the
        # writer's own memory only serves a batch it must plan again (_store_batch_or_retry).
        self._planned_authors: dict[str, int] = {}
        self._author_ids: dict[str, int] = {}
        self._jobs: queue.Queue[tuple[list[Parsed], list[Reject], _Plan | None] | None] = queue.Queue()
        self._writing: list[set[str]] = []  # the keys of the batches handed over and not yet stored
        self._changed = threading.Condition()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="ingest-writer", daemon=True)
        self._thread.start()

    def store(self, parsed: list[Parsed], rejects: list[Reject]) -> None:
        """Plan this batch once nothing it could reach is being written, and hand it over; raises
        the writer's error, if it failed."""
        keys, title_keys = _record_keys(parsed)
        reach = keys | title_keys
        with self._changed:
            # One batch written at a time: plan the next only while at most one is in hand.
            self._changed.wait_for(
                lambda: (
                    self._error is not None
                    or (len(self._writing) < 2 and all(reach.isdisjoint(other) for other in self._writing))
                )
            )
            if self._error is not None:
                raise self._error
        plan = _plan_batch(parsed, keys, title_keys, self._planned_authors) if parsed else None
        with self._changed:
            self._writing.append(plan.keys if plan else set())
        self._jobs.put((parsed, rejects, plan))

    def finish(self) -> BaseException | None:
        """Wait for the batches handed over; the writer's error, if it failed."""
        self._jobs.put(None)
        self._thread.join()
        return self._error

    def _work(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                parsed, rejects, plan = job
                if self._error is None:
                    try:
                        _store_counted(self._run, parsed, rejects, self._author_ids, plan)
                    except BaseException as error:
                        self._error = error
                with self._changed:
                    self._writing.pop(0)
                    self._changed.notify_all()
        finally:
            connection.close()  # this thread's own


def _open(location: str, stack: ExitStack) -> BinaryIO:
    if is_url(location):
        return stack.enter_context(
            fetch(
                location,
                timeout=settings.INGEST_FETCH_TIMEOUT,
                max_bytes=settings.INGEST_MAX_BYTES,
                user_agent=settings.INGEST_USER_AGENT,
            )
        )
    if "://" in location:
        raise IngestError(f"cannot ingest {location!r}: only files and http(s) URLs are supported")
    if os.path.isdir(location):
        raise IngestError(f"{location} is a directory, not a file")
    try:
        return stack.enter_context(open(location, "rb"))
    except OSError as error:
        raise IngestError(f"cannot open {location}: {error.strerror or error}") from None


def ingest_location(
    *, location: str, format: str | None = None, source_id: int | None = None, progress: bool = False
) -> IngestRun:
    """Ingest a file path or http(s) URL. Returns the finished IngestRun; a fatal problem marks the
    run failed and raises IngestError with a one-line message (good batches stay stored).

    Child processes read and parse the input while this one stores the previous batch: two (see
    INGEST_PARSERS) for a large local JSON-lines file, sharing its lines by blocks, else one."""
    run = IngestRun.objects.create(location=location[:1000], format=format or "", source_id=source_id)
    try:
        with ExitStack() as stack:
            stack.enter_context(_collector_paused())
            try:
                run.format, parsed = _parsers(location, format, stack)
                run.save(update_fields=["format"])
                on_batch = _progress_bar(location, stack) if progress else None
                _ingest_batches(run, parsed, on_batch)
            except (EOFError, zlib.error, gzip.BadGzipFile) as error:
                raise IngestError(f"the compressed input is truncated or corrupt ({error})") from None
    except IngestError as error:
        _finish(run, IngestRun.Status.FAILED, error=str(error))
        error.run_id = run.pk
        raise
    except Exception as error:
        _finish(run, IngestRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    _finish(run, IngestRun.Status.DONE)
    logger.info("%s", ingest_summary(run))
    return run


def _progress_bar(location: str, stack: ExitStack) -> Callable[[int | None], None]:
    from tqdm import tqdm

    bar = stack.enter_context(tqdm(total=_local_size(location), unit="B", unit_scale=True, desc="ingesting"))

    def update(position: int | None) -> None:
        # Parsers sharing a file each report how far they have read: the furthest counts.
        if position is not None and position > bar.n:
            bar.update(position - bar.n)

    return update


def _finish(run: IngestRun, status: str, error: str = "") -> None:
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save(
        update_fields=["status", "error", "finished_at", "new", "updated", "unchanged", "rejected", "rejects"]
    )
    if run.source_id:
        Source.objects.filter(pk=run.source_id).update(last_ingested_at=run.finished_at)


def ingest_summary(run: IngestRun) -> str:
    seconds = ((run.finished_at or timezone.now()) - run.started_at).total_seconds()
    return (
        f"ingested {run.location} ({run.format or 'unknown format'}): {run.new} new, {run.updated} updated, "
        f"{run.unchanged} unchanged, {run.rejected} rejected in {seconds:.1f}s"
    )


# --- Sources -------------------------------------------------------------------------------------


def source_claim_due(*, now: datetime | None = None) -> list[int]:
    """Ids of enabled sources whose interval has elapsed, each claimed by moving its
    last_ingested_at to now with a conditional UPDATE, so two beats never ingest one source twice."""
    now = now or timezone.now()
    claimed: list[int] = []
    for source in Source.objects.filter(enabled=True).only("id", "interval_minutes", "last_ingested_at"):
        last = source.last_ingested_at
        if last is not None and (now - last).total_seconds() < source.interval_minutes * 60:
            continue
        if Source.objects.filter(pk=source.pk, last_ingested_at=last).update(last_ingested_at=now) == 1:
            claimed.append(source.pk)
    return claimed
