"""Writes on the paper side: ingesting a file or URL into papers, authors and an IngestRun.

The parsers (`digest.ingest`) turn input into clean records; here each batch of records is merged
with what is already stored (dedup by canonical key, arXiv versions, the same paper from several
sources) and only what changed is written, in bulk (`digest.papers.bulk`).
"""

from __future__ import annotations

import gzip
import logging
import os
import queue
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, suppress
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from digest.ingest import detect, normalise
from digest.ingest.errors import IngestError
from digest.ingest.fetch import fetch, is_url
from digest.ingest.records import PaperRecord, Reject
from digest.papers import bulk
from digest.papers.models import IngestRun, Source

logger = logging.getLogger(__name__)

BATCH_SIZE = 5_000
MAX_REJECTS_KEPT = 200

__all__ = ["IngestError", "ingest_location", "ingest_records", "source_claim_due"]


# --- Merging one record into the stored state ---------------------------------------------------


def _hash(row: dict[str, Any]) -> str:
    updated = row["updated_at"]
    return normalise.content_hash(
        (
            row["title"],
            row["abstract"],
            row["author_names"],
            row["categories"],
            row["arxiv_id"],
            row["arxiv_version"],
            row["published_at"].timestamp(),
            updated.timestamp() if updated else None,
            row["upvotes"],
            row["sources"],
            row["code_urls"],
            row["project_urls"],
        )
    )


def _row_new(record: PaperRecord, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": None,
        "key": record.key,
        "arxiv_id": record.arxiv_id,
        "arxiv_version": record.arxiv_version,
        "title_key": record.title_key,
        "title": record.title,
        "abstract": record.abstract,
        "author_names": record.authors,
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
    row["content_hash"] = _hash(row)
    return row


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


class _Batch:
    """The stored papers a batch touches, indexed the ways records find them."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, dict[str, Any]] = {}
        self.title_only: dict[str, dict[str, Any]] = {}
        self.rows = rows
        for row in rows:
            row["stored_hash"] = row["content_hash"]
            row["stored_authors"] = list(row["author_names"])
            self._index(row)

    def _index(self, row: dict[str, Any]) -> None:
        self.by_key[row["key"]] = row
        self.by_title.setdefault(row["title_key"], row)
        if row["arxiv_id"] is None:
            self.title_only[row["title_key"]] = row

    def find(self, record: PaperRecord) -> dict[str, Any] | None:
        if record.arxiv_id:
            # An arXiv record takes over a title-keyed paper, never another arXiv paper.
            return self.by_key.get(record.arxiv_id) or self.title_only.get(record.title_key)
        return self.by_key.get(record.key) or self.by_title.get(record.title_key)

    def apply(self, record: PaperRecord, now: datetime) -> str:
        """'new', 'updated' or 'unchanged' for this record."""
        row = self.find(record)
        if row is None:
            row = _row_new(record, now)
            row["stored_hash"] = None
            row["stored_authors"] = None
            self.rows.append(row)
            self._index(row)
            return "new"
        before = row["content_hash"]
        old_key, was_title_only = row["key"], row["arxiv_id"] is None
        _merge(row, record)
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


def _authors_for(rows: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    authors: dict[str, tuple[str, str]] = {}
    for row in rows:
        for name in row["author_names"]:
            key = normalise.author_key(name)
            if key not in authors:
                authors[key] = (name, normalise.author_match_key(name))
    return authors


def _store_batch(records: list[PaperRecord]) -> dict[str, int]:
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    now = timezone.now()
    with transaction.atomic():
        bulk.lock_batch()
        batch = _Batch(
            bulk.papers_read(
                keys=list({r.key for r in records} | {r.arxiv_id for r in records if r.arxiv_id}),
                title_keys=list({r.title_key for r in records}),
            )
        )
        for record in records:
            counts[batch.apply(record, now)] += 1
        inserts = [row for row in batch.rows if row["id"] is None]
        updates = [
            row for row in batch.rows if row["id"] is not None and row["content_hash"] != row["stored_hash"]
        ]
        relinks = inserts + [row for row in updates if row["author_names"] != row["stored_authors"]]
        if not inserts and not updates:
            return counts
        author_ids = bulk.authors_ids(authors=_authors_for(relinks))
        new_ids = bulk.papers_insert(rows=inserts)
        for row in inserts:
            row["id"] = new_ids[row["key"]]
        bulk.papers_update(rows=updates)
        links = [
            (row["id"], author_ids[normalise.author_key(name)], position)
            for row in relinks
            for position, name in enumerate(row["author_names"])
        ]
        bulk.authorships_replace(
            paper_ids=[row["id"] for row in relinks if row["stored_authors"] is not None], links=links
        )
    return counts


# --- Runs ----------------------------------------------------------------------------------------


def _batches(parsed: Iterable[PaperRecord | Reject]) -> Iterator[tuple[list[PaperRecord], list[Reject]]]:
    batch: list[PaperRecord] = []
    rejects: list[Reject] = []
    for item in parsed:
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            yield batch, rejects
            batch, rejects = [], []
    if batch or rejects:
        yield batch, rejects


_DONE = object()


def _read_ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Run `items` in a thread, `depth` ahead: parsing the next batch overlaps with the database
    working on this one (the driver releases the GIL while it waits for the server)."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
            buffer.put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            buffer.put(error)

    thread = threading.Thread(target=produce, name="ingest-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        # Unblock a producer waiting on a full buffer so the thread ends.
        while thread.is_alive():
            with suppress(queue.Empty):
                buffer.get(timeout=0.1)


def ingest_records(
    *, run: IngestRun, records: Iterable[PaperRecord | Reject], on_batch: Callable[[], None] | None = None
) -> IngestRun:
    """Store parsed records batch by batch, counting into `run` (saved after every batch, so a run
    interrupted half-way shows how far it got; re-running it is safe)."""
    for batch, rejects in _read_ahead(_batches(records)):
        for item in rejects:
            run.rejected += 1
            if len(run.rejects) < MAX_REJECTS_KEPT:
                run.rejects.append({"record": item.record, "reason": item.reason})
        if batch:
            try:
                counts = _store_batch(batch)
            except IntegrityError:
                # Someone else stored one of these papers between our read and write: read again.
                logger.warning("ingest batch collided with a concurrent write; retrying it once")
                counts = _store_batch(batch)
            run.new += counts["new"]
            run.updated += counts["updated"]
            run.unchanged += counts["unchanged"]
        run.save(update_fields=["new", "updated", "unchanged", "rejected", "rejects"])
        if on_batch:
            on_batch()
    return run


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
    run failed and raises IngestError with a one-line message (good batches stay stored)."""
    run = IngestRun.objects.create(location=location[:1000], format=format or "", source_id=source_id)
    try:
        with ExitStack() as stack:
            stream = _open(location, stack)
            run.format, parsed = detect.records(stream, format=format or None, name_hint=location)
            run.save(update_fields=["format"])
            on_batch = None
            if progress:
                on_batch = _progress_bar(stream, stack)
            try:
                ingest_records(run=run, records=parsed, on_batch=on_batch)
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


def _progress_bar(stream: BinaryIO, stack: ExitStack) -> Callable[[], None]:
    from tqdm import tqdm

    try:
        total: int | None = os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        total = None
    bar = stack.enter_context(tqdm(total=total, unit="B", unit_scale=True, desc="ingesting"))

    def update() -> None:
        with suppress(OSError, ValueError):
            bar.update(stream.tell() - bar.n)

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
