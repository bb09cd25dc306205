"""Debian's newsboat, a real feed reader, fetches our feeds from a live server into its cache."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory
from tests.feeds.conftest import NOISE

NEWSBOAT = shutil.which("newsboat") or "/usr/bin/newsboat"
pytestmark = pytest.mark.skipif(not os.path.exists(NEWSBOAT), reason="Debian newsboat is not installed")


class Newsboat:
    def __init__(self, home: Path, urls: list[str]) -> None:
        home.mkdir(parents=True)
        self.home = home
        self.cache = home / "cache.db"
        self.config = home / "config"
        self.urls = home / "urls"
        self.config.write_text("download-timeout 20\nreload-threads 2\nmax-items 0\n")
        self.urls.write_text("".join(f"{url}\n" for url in urls))

    def reload(self) -> None:
        env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home),
        }
        result = subprocess.run(
            [NEWSBOAT, "-C", str(self.config), "-u", str(self.urls), "-c", str(self.cache), "-x", "reload"],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()

    def items(self) -> dict[str, list[tuple[str, str]]]:
        with sqlite3.connect(self.cache) as db:
            rows = db.execute("SELECT feedurl, guid, title FROM rss_item ORDER BY id").fetchall()
        by_feed: dict[str, list[tuple[str, str]]] = {}
        for feedurl, guid, title in rows:
            by_feed.setdefault(feedurl, []).append((guid, title))
        return by_feed


def test_newsboat_stores_every_feeds_items_once_across_reloads_and_new_entries(
    live_server, tmp_path: Path
) -> None:
    topic = TopicFactory(slug="graphs", keywords="graph")
    subscriber = SubscriberFactory()
    papers = [
        PaperFactory(title=f"Graph networks {i}", abstract="graph", authors=["Ada Lovelace"])
        for i in range(3)
    ]
    for paper in papers:
        MatchFactory(subscriber=subscriber, paper=paper)
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract, authors=["Someone Else"])
    author = papers[0].authorships.get().author
    paths = []
    for fmt in ("rss", "atom"):
        paths += [
            reverse(f"feed-latest-{fmt}"),
            reverse(f"feed-topic-{fmt}", args=[topic.slug]),
            reverse(f"feed-author-{fmt}", args=[author.pk]),
            reverse(f"feed-personal-{fmt}", args=[subscriber.feed_token]),
        ]
    urls = [live_server.url + path for path in paths]
    # newsboat keys items by GUID across its whole cache, and our GUIDs name the paper whatever the
    # feed, so each feed gets its own reader, as it would for someone following just that feed.
    readers = {url: Newsboat(tmp_path / str(i), [url]) for i, url in enumerate(urls)}

    for url, reader in readers.items():
        reader.reload()
        reader.reload()
        items = reader.items()
        assert set(items) == {url}, f"newsboat stored nothing for {url}"
        guids = [guid for guid, _ in items[url]]
        expected = 3 + (len(NOISE) if "/latest." in url else 0)
        assert len(guids) == expected and len(set(guids)) == expected, (url, items[url])
        assert all(guid.startswith("tag:") for guid in guids)

    fresh = PaperFactory(title="Graph networks, the sequel", abstract="graph", authors=["Ada Lovelace"])
    MatchFactory(subscriber=subscriber, paper=fresh)

    for url, reader in readers.items():
        before = {guid for guid, _ in reader.items()[url]}
        reader.reload()
        reader.reload()
        items = reader.items()[url]
        guids = [guid for guid, _ in items]
        expected = 4 + (len(NOISE) if "/latest." in url else 0)
        assert len(guids) == expected and len(set(guids)) == expected, (url, items)
        assert "Graph networks, the sequel" in {title for _, title in items}
        assert set(guids) > before
