"""What every parser yields: a validated `PaperRecord`, or a `Reject` saying which record was bad and why.

A parser raises `IngestError` only for problems that stop the whole input (unknown format, binary
data, a broken XML document); a bad record never stops the good ones after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from digest.ingest import normalise
from digest.ingest.errors import IngestError, RecordError

__all__ = ["IngestError", "PaperRecord", "Parsed", "Prepared", "RecordError", "Reject", "record_build"]


@dataclass(slots=True)
class Reject:
    record: int
    reason: str


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source describes it, already cleaned and capped."""

    record: int
    source: str
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    upvotes: int | None = None
    code_urls: list[str] = field(default_factory=list)
    project_urls: list[str] = field(default_factory=list)
    title_key: str = ""
    # normalise.author_key of each name, in the same order.
    author_keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.title_key:
            self.title_key = normalise.title_hash(self.title)

    @property
    def key(self) -> str:
        return self.arxiv_id or "title:" + self.title_key

    def to_tuple(self) -> tuple[Any, ...]:
        """The fields in declaration order: how a record crosses from a parser process. A plain tuple
        pickles in half the time of the dataclass (whose pickling calls Python code per record)."""
        return _fields_of(self)

    @classmethod
    def from_tuple(cls, values: tuple[Any, ...]) -> PaperRecord:
        return cls(*values)


_fields_of = attrgetter(*(f.name for f in fields(PaperRecord)))


Parsed = PaperRecord | Reject
# A record ready for storing: its fields (PaperRecord.to_tuple), its content hash and its COPY text
# (see digest.papers.services._prepared). With the COPY text, the fields cross from a parser
# process cut down to what the storing process needs (digest.papers.services._crossing).
Prepared = tuple[tuple[Any, ...], str | None, bytes | None]


def record_build(
    *,
    record: int,
    source: str,
    title: str | None,
    abstract: str | None,
    authors: list[str] | None = None,
    arxiv_id: str | None = None,
    categories: list[str] | None = None,
    published_at: datetime | None = None,
    updated_at: datetime | None = None,
    upvotes: int | None = None,
    extra_code_urls: list[str] | None = None,
    extra_project_urls: list[str] | None = None,
) -> PaperRecord:
    """Validate and clean one record from any source; raises RecordError with the reason."""
    clean_title = normalise.clean_title(normalise.check_text("title", title, normalise.MAX_TITLE))
    clean_abstract = normalise.clean_abstract(
        normalise.check_text("abstract", abstract, normalise.MAX_ABSTRACT)
    )
    base_id, version = (None, None)
    if arxiv_id:
        parsed = normalise.arxiv_id_parse(arxiv_id)
        if parsed is None:
            raise RecordError(f"not an arXiv id: {normalise.preview(arxiv_id)}")
        base_id, version = parsed
    names, author_keys = normalise.clean_authors_keyed(authors or [])
    cats = normalise.clean_categories(categories or [])
    code_urls, project_urls = normalise.urls_extract(clean_abstract)
    code_urls = normalise.unique([*(extra_code_urls or []), *code_urls])
    project_urls = normalise.unique([*(extra_project_urls or []), *project_urls])
    if upvotes is not None and not (0 <= upvotes < 2**31):
        raise RecordError(f"upvotes out of range: {upvotes}")
    return PaperRecord(
        record=record,
        source=source,
        title=clean_title,
        abstract=clean_abstract,
        authors=names,
        author_keys=author_keys,
        arxiv_id=base_id,
        arxiv_version=version,
        categories=cats,
        published_at=published_at,
        updated_at=updated_at,
        upvotes=upvotes,
        code_urls=code_urls[: normalise.MAX_URLS],
        project_urls=project_urls[: normalise.MAX_URLS],
    )
