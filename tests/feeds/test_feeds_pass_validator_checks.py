"""What the W3C feed validator checks, asserted on the XML we serve."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import pytest
from django.core.cache import cache
from django.test import Client
from lxml import etree

from digest.feeds import views

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT)$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
KINDS = ["latest", "topic", "author", "personal"]


def _rss_checks(root: etree._Element, served: str) -> list[str]:
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), f"channel lacks <{name}>"
    assert channel.findtext("link") != served, "channel <link> should be the HTML page, not the feed"
    selfs = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [link.get("href") for link in selfs] == [served]
    assert selfs[0].get("type") == "application/rss+xml"
    assert RFC822.match(channel.findtext("lastBuildDate"))
    guids = []
    for item in channel.findall("item"):
        for name in ("title", "link", "description", "pubDate"):
            assert (item.findtext(name) or "").strip(), f"item lacks <{name}>"
        pub_date = item.findtext("pubDate")
        assert RFC822.match(pub_date), pub_date
        assert parsedate_to_datetime(pub_date).tzinfo is not None
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        # <author> must be an email address in RSS; people are named with dc:creator instead.
        assert item.find("author") is None
        assert item.findall(f"{DC}creator")
        guids.append(guid.text)
    return guids


def _atom_checks(root: etree._Element, served: str) -> list[str]:
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), f"feed lacks <{name}>"
    assert RFC3339.match(root.findtext(f"{ATOM}updated"))
    assert root.findtext(f"{ATOM}author/{ATOM}name"), "Atom needs a feed-level author"
    selfs = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert [link.get("href") for link in selfs] == [served]
    assert selfs[0].get("type") == "application/atom+xml"
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published", "summary"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), f"entry lacks <{name}>"
        for name in ("updated", "published"):
            assert RFC3339.match(entry.findtext(f"{ATOM}{name}"))
        assert entry.find(f"{ATOM}link").get("href").startswith("http://")
        assert entry.find(f"{ATOM}summary").get("type") == "html"
        ids.append(entry.findtext(f"{ATOM}id"))
    return ids


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("kind", KINDS)
def test_feeds_have_required_elements_valid_dates_and_a_self_link_equal_to_the_served_url(
    client: Client, urls: dict[str, str], kind: str, fmt: str
) -> None:
    url = urls[f"{kind}-{fmt}"]
    response = client.get(url)

    assert response["Content-Type"] == f"application/{fmt}+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    ids = (_rss_checks if fmt == "rss" else _atom_checks)(root, f"http://testserver{url}")
    assert ids and len(ids) == len(set(ids))


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_guids_stay_identical_when_the_feed_is_rebuilt_and_the_paper_changes(
    client: Client, urls: dict[str, str], world: dict[str, object], fmt: str
) -> None:
    first = client.get(urls[f"latest-{fmt}"]).content
    paper = world["papers"][0]  # type: ignore[index]
    paper.title = "A corrected title"
    paper.save()
    cache.clear()
    views._memo.clear()

    second = client.get(urls[f"latest-{fmt}"]).content

    assert first != second
    assert _ids(first, fmt) == _ids(second, fmt)


def _ids(body: bytes, fmt: str) -> list[str]:
    root = etree.fromstring(body)
    if fmt == "rss":
        return [guid.text for guid in root.iter("guid")]
    return [entry.findtext(f"{ATOM}id") for entry in root.findall(f"{ATOM}entry")]


def test_a_self_link_follows_the_host_the_feed_was_served_from(client: Client, urls: dict[str, str]) -> None:
    response = client.get(urls["topic-atom"], HTTP_HOST="feeds.example.org")

    root = etree.fromstring(response.content)
    assert f"http://feeds.example.org{urls['topic-atom']}" in [
        link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"
    ]
