"""Pure feed rendering with feedgen: plain data in, XML bytes out (no ORM, no Django)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feedgen.feed import FeedGenerator

FeedFormat = Literal["rss", "atom"]
MAX_ENTRIES = 50

# Everything XML 1.0 forbids: C0 controls except tab/newline/return, lone surrogates, U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_clean(text: str) -> str:
    """Drop the characters lxml would refuse; LaTeX and any other unicode pass through untouched."""
    return _XML_FORBIDDEN.sub("", text)


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    title: str
    link: str
    authors: Sequence[str]
    published: datetime
    updated: datetime
    categories: Sequence[str]
    abstract: str
    # Optional extra paragraphs (personal feeds: why it matched) and (label, url) links.
    notes: Sequence[str] = ()
    actions: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class FeedMeta:
    id: str
    title: str
    subtitle: str
    html_url: str
    self_url: str
    author: str
    updated: datetime
    entries: Sequence[FeedEntry] = field(default_factory=tuple)


def _seconds(moment: datetime) -> datetime:
    """Whole seconds: RSS dates cannot carry fractions, and equal instants should read the same in both formats."""
    if moment.tzinfo is None:
        raise ValueError("feed dates must be timezone-aware")
    return moment.replace(microsecond=0)


def entry_summary_html(entry: FeedEntry) -> str:
    """The summary as an HTML fragment in which every piece of source text is escaped, so markup
    inside an abstract shows as text in a reader and `$\\alpha$` stays as written."""
    parts = [f"<p>{html.escape(entry.abstract)}</p>"]
    parts += [f"<p>{html.escape(note)}</p>" for note in entry.notes]
    if entry.actions:
        links = " · ".join(
            f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
            for label, url in entry.actions
        )
        parts.append(f"<p>{links}</p>")
    return xml_clean("".join(parts))


def feed_render(*, meta: FeedMeta, fmt: FeedFormat) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(meta.id)
    fg.title(xml_clean(meta.title))
    fg.subtitle(xml_clean(meta.subtitle) or xml_clean(meta.title))
    fg.author({"name": xml_clean(meta.author)})
    fg.link(
        href=meta.self_url, rel="self", type="application/rss+xml" if fmt == "rss" else "application/atom+xml"
    )
    # feedgen makes the LAST link the RSS channel <link>, which must be the HTML page.
    fg.link(href=meta.html_url, rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("Paper Digest")
    fg.updated(_seconds(meta.updated))
    fg.lastBuildDate(_seconds(meta.updated))
    for entry in meta.entries[:MAX_ENTRIES]:
        fe = fg.add_entry(order="append")
        fe.id(entry.guid)
        fe.guid(entry.guid, permalink=False)
        fe.title(xml_clean(entry.title))
        fe.link(href=entry.link, rel="alternate", type="text/html")
        names = [xml_clean(name) for name in entry.authors if name.strip()]
        if names:
            fe.author([{"name": name} for name in names])
            # RSS <author> must be an email address; one dc:creator with every name is what readers show.
            fe.dc.dc_creator(", ".join(names))
        fe.published(_seconds(entry.published))
        fe.updated(_seconds(entry.updated))
        for term in entry.categories:
            fe.category(term=xml_clean(term))
        fe.summary(entry_summary_html(entry), type="html")
    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)
