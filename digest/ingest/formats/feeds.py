"""arXiv feeds: API responses (Atom, export.arxiv.org/api/query), listing feeds in Atom
(rss.arxiv.org/atom/<cat>) and RSS 2.0 (rss.arxiv.org/rss/<cat>), and the older RSS 1.0 (RDF)
listing feeds."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from digest.ingest.errors import IngestError, RecordError
from digest.ingest.normalise import arxiv_id_parse
from digest.ingest.records import Parsed, Reject, record_build
from digest.ingest.xmlstream import XMLBroken, XMLDocument, text_of

ATOM_NAME = "arxiv-atom"
RSS_NAME = "arxiv-rss"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# Listing feeds prefix the abstract: "arXiv:2401.01234v1 Announce Type: new \nAbstract: ...".
_ANNOUNCE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)
# Old RSS titles end with "(arXiv:0704.0001v1 [hep-ph])"; some add " UPDATED".
_TITLE_SUFFIX = re.compile(r"\s*\(arXiv:(\S+?)\s*(?:\[([^\]]+)\])?\s*(?:UPDATED)?\)\s*$")
_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH_WRAPPER = re.compile(r"^\s*<p>(.*)</p>\s*$", re.DOTALL)


def _iso(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rfc2822(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _split_creators(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        plain = html.unescape(_TAG.sub("", value))
        names.extend(part.strip() for part in re.split(r",|\band\b", plain) if part.strip())
    return names


def _known_id(value: str | None) -> str | None:
    """The id when it is an arXiv one; other feeds' entries are keyed by title instead."""
    return value if value and arxiv_id_parse(value) else None


def _documents(stream: BinaryIO, tags: set[str], kind: str) -> Iterator[tuple[int, Element] | Reject]:
    document = XMLDocument(stream, tags)
    seen = 0
    try:
        for item in document:
            seen += 1
            yield item
    except XMLBroken as error:
        if not seen and error.line <= 1:
            raise IngestError(f"not an XML {kind} document ({error})") from None
        yield Reject(error.line, f"XML is broken or truncated at {error}; entries before it were kept")
        return
    if document.root is None:
        raise IngestError(f"not an XML {kind} document (no root element)")


def parse_atom(stream: BinaryIO) -> Iterator[Parsed]:
    for item in _documents(stream, {ATOM + "entry"}, "Atom"):
        if isinstance(item, Reject):
            yield item
            continue
        line, entry = item
        identifier = (text_of(entry.find(ATOM + "id")) or "").strip()
        title = text_of(entry.find(ATOM + "title"))
        summary = text_of(entry.find(ATOM + "summary"))
        if "arxiv.org/api/errors" in identifier:
            yield Reject(line, f"arXiv API error: {(summary or title or '').strip()[:200]}")
            continue
        authors = [text_of(a.find(ATOM + "name")) or "" for a in entry.findall(ATOM + "author")]
        if not authors:
            authors = _split_creators([text_of(c) or "" for c in entry.findall(DC + "creator")])
        primary = entry.find(ARXIV + "primary_category")
        categories = [primary.get("term", "")] if primary is not None else []
        categories += [c.get("term", "") for c in entry.findall(ATOM + "category")]
        published = _iso(text_of(entry.find(ATOM + "published")))
        updated = _iso(text_of(entry.find(ATOM + "updated")))
        try:
            yield record_build(
                record=line,
                source=ATOM_NAME,
                title=title,
                abstract=_ANNOUNCE.sub("", summary) if summary else summary,
                authors=authors,
                arxiv_id=_known_id(identifier),
                categories=categories,
                published_at=published or updated,
                updated_at=updated if published and updated and updated > published else None,
            )
        except RecordError as error:
            yield Reject(line, str(error))


def parse_rss(stream: BinaryIO) -> Iterator[Parsed]:
    for item in _documents(stream, {"item", RSS1 + "item"}, "RSS"):
        if isinstance(item, Reject):
            yield item
            continue
        line, entry = item
        ns = RSS1 if entry.tag.startswith(RSS1) else ""
        title = text_of(entry.find(ns + "title")) or ""
        description = text_of(entry.find(ns + "description"))
        categories = [text_of(c) or "" for c in entry.findall(ns + "category")]
        identifier = _known_id(text_of(entry.find(ns + "guid"))) or _known_id(entry.get(RDF + "about"))
        identifier = identifier or _known_id(text_of(entry.find(ns + "link")))
        suffix = _TITLE_SUFFIX.search(title)
        if suffix:
            identifier = _known_id(suffix[1]) or identifier
            categories += (suffix[2] or "").split()
            title = title[: suffix.start()].removesuffix(".")
        if description and ns:
            # RSS 1.0 wraps each abstract in one <p> of feed markup; the abstract inside stays as is.
            wrapped = _PARAGRAPH_WRAPPER.match(description)
            description = wrapped[1] if wrapped else description
        published = _rfc2822(text_of(entry.find("pubDate"))) or _iso(text_of(entry.find(DC + "date")))
        try:
            yield record_build(
                record=line,
                source=RSS_NAME,
                title=title,
                abstract=_ANNOUNCE.sub("", description) if description else description,
                authors=_split_creators([text_of(c) or "" for c in entry.findall(DC + "creator")]),
                arxiv_id=identifier,
                categories=categories,
                published_at=published,
            )
        except RecordError as error:
            yield Reject(line, str(error))
