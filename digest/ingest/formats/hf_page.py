"""Hugging Face papers pages saved as text: a few header lines (the last one a date like "Mar 12"),
then alternating title and abstract paragraphs. There are no arXiv ids or authors in them, so these
papers are keyed by their title until an arXiv record for the same title arrives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from digest.ingest.errors import RecordError
from digest.ingest.records import Parsed, Reject, record_build
from digest.ingest.textio import paragraphs

NAME = "hf-page"
# Paragraphs the site prints above the list; recognising them also drives format detection.
HEADER_PHRASES = {
    "new",
    "subscribe",
    "get trending papers in your email inbox!",
    "byak and the research community",
    "daily papers",
}
_DATE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (\d{1,2})(?:, (\d{4}))?$")
_HEADER_LOOKAHEAD = 8
MAX_TITLE_PARAGRAPH = 400


def page_date(text: str, now: datetime) -> datetime | None:
    """The page's day; a date without a year is the latest such day not in the future."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year = int(match[3]) if match[3] else now.year
    try:
        day = datetime.strptime(f"{match[1]} {match[2]} {year}", "%b %d %Y").replace(tzinfo=UTC)
    except ValueError:
        return None
    if not match[3] and day > now + timedelta(days=1):
        day = day.replace(year=year - 1)
    return day


def is_header(text: str) -> bool:
    return text.strip().casefold() in HEADER_PHRASES or _DATE.match(text.strip()) is not None


def parse(stream: BinaryIO, *, now: datetime | None = None) -> Iterator[Parsed]:
    now = now or datetime.now(UTC)
    items = paragraphs(stream)
    head = [item for _, item in zip(range(_HEADER_LOOKAHEAD), items, strict=False)]
    published: datetime | None = None
    # The header ends at the date line when there is one, else after the known header phrases.
    date_at = next((i for i, (_, text) in enumerate(head) if page_date(text, now)), None)
    if date_at is not None:
        published = page_date(head[date_at][1], now)
        body = head[date_at + 1 :]
    else:
        skip = 0
        while skip < len(head) and is_header(head[skip][1]):
            skip += 1
        body = head[skip:]

    def stream_body() -> Iterator[tuple[int, str]]:
        yield from body
        yield from items

    title: tuple[int, str] | None = None
    for line, text in stream_body():
        if title is None:
            if "\n" in text or len(text) > MAX_TITLE_PARAGRAPH:
                yield Reject(line, f"expected a title, found a {len(text):,}-character paragraph")
                continue
            title = (line, text)
            continue
        try:
            yield record_build(
                record=title[0], source=NAME, title=title[1], abstract=text, published_at=published
            )
        except RecordError as error:
            yield Reject(title[0], str(error))
        title = None
    if title is not None:
        yield Reject(title[0], "title without an abstract (file truncated?)")
