"""Hugging Face's daily papers API (`/api/daily_papers`): a JSON list of objects holding `paper`
with `id` (the arXiv id), `title`, `summary`, `authors` [{name}], `publishedAt` and `upvotes`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from digest.ingest.errors import IngestError, RecordError
from digest.ingest.normalise import arxiv_id_parse
from digest.ingest.records import Parsed, Reject, record_build

NAME = "hf-api"


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _record(number: int, item: object) -> Parsed:
    if not isinstance(item, dict):
        return Reject(number, f"expected an object, got {type(item).__name__}")
    paper = item.get("paper", item)
    if not isinstance(paper, dict):
        return Reject(number, "`paper` is not an object")
    authors = paper.get("authors") or []
    names = [a.get("name") for a in authors if isinstance(a, dict)] if isinstance(authors, list) else []
    upvotes = paper.get("upvotes")
    identifier = paper.get("id")
    github = paper.get("githubRepo")
    project = paper.get("projectPage")
    try:
        return record_build(
            record=number,
            source=NAME,
            title=paper.get("title") or item.get("title"),
            abstract=paper.get("summary") or item.get("summary"),
            authors=[n for n in names if isinstance(n, str)],
            arxiv_id=identifier if isinstance(identifier, str) and arxiv_id_parse(identifier) else None,
            published_at=_iso(paper.get("publishedAt") or item.get("publishedAt")),
            upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
            extra_code_urls=[github] if isinstance(github, str) and github.startswith("http") else [],
            extra_project_urls=[project] if isinstance(project, str) and project.startswith("http") else [],
        )
    except RecordError as error:
        return Reject(number, str(error))


def parse(stream: BinaryIO) -> Iterator[Parsed]:
    # The API answers a page of at most a few hundred papers, and the download is size-capped.
    raw = stream.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise IngestError("the JSON is not UTF-8 text") from None
    except ValueError as error:
        raise IngestError(f"invalid JSON: {error}") from None
    if isinstance(data, dict):
        data = data.get("papers", data.get("items", [data]))
    if not isinstance(data, list):
        raise IngestError(f"expected a JSON list of papers, got {type(data).__name__}")
    for number, item in enumerate(data, start=1):
        yield _record(number, item)
