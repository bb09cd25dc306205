from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from django.test import Client
from lxml import etree

from digest.feeds.render import FeedEntry, FeedMeta, feed_render, xml_clean
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

NASTY_TITLE = "Bad\x01 \x0bchars\x1f & <b>tags</b> in \ufffe title"
LATEX = r"We show $\mathcal{O}(n \log n)$ for $\alpha_i^{2}$ & $x<y$ — 量子, ελληνικά, 🙂"


def test_xml_clean_drops_only_what_xml_forbids() -> None:
    assert xml_clean("a\x00b\x08c\x0bd\x1fe\ufffef\ud800g") == "abcdefg"
    assert xml_clean("tab\tnew\nline\r" + LATEX) == "tab\tnew\nline\r" + LATEX


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feeds_strip_forbidden_characters_and_keep_latex_unicode_and_markup_as_text(
    client: Client, fmt: str
) -> None:
    PaperFactory(
        title=NASTY_TITLE, abstract=LATEX + " <script>alert(1)</script>", authors=["Zoë Ünicode\x07"]
    )

    response = client.get(f"/feeds/latest.{fmt}")

    etree.fromstring(response.content)  # well-formed
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    entry = parsed.entries[0]
    assert entry.title == "Bad chars & <b>tags</b> in  title"
    # The summary is HTML whose text is the abstract: markup from the abstract stays visible text.
    assert LATEX.replace("&", "&amp;").replace("<", "&lt;") in entry.summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entry.summary
    assert "<script>" not in entry.summary
    assert "Zoë Ünicode" in response.content.decode()


def test_render_refuses_naive_dates() -> None:
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
    entry = FeedEntry(
        guid="tag:x,2024:paper:1",
        title="t",
        link="http://x/",
        authors=[],
        published=naive,
        updated=naive,
        categories=[],
        abstract="a",
    )
    meta = FeedMeta(
        id="tag:x,2024:feed",
        title="t",
        subtitle="s",
        html_url="http://x/",
        self_url="http://x/f",
        author="x",
        updated=datetime(2024, 1, 1, tzinfo=UTC),
        entries=[entry],
    )

    with pytest.raises(ValueError, match="timezone-aware"):
        feed_render(meta=meta, fmt="atom")
