from __future__ import annotations

import feedparser
import pytest
from django.test import Client

from digest.matching.links import feedback_urls
from tests.feeds.conftest import EXPECTED_COUNTS


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("kind", ["latest", "topic", "author", "personal"])
def test_every_feed_parses_without_bozo_and_holds_the_expected_entries(
    client: Client, urls: dict[str, str], world: dict[str, object], kind: str, fmt: str
) -> None:
    response = client.get(urls[f"{kind}-{fmt}"])

    parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})

    assert response.status_code == 200
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    assert len(parsed.entries) == EXPECTED_COUNTS[kind]
    titles = {entry.title for entry in parsed.entries}
    if kind != "latest":
        assert titles <= {paper.title for paper in world["papers"]}  # type: ignore[attr-defined]
    for entry in parsed.entries:
        assert entry.id.startswith("tag:testserver,2024:paper:")
        assert entry.link.startswith("http://testserver/papers/")
        assert entry.published_parsed and entry.updated_parsed
        assert {tag.term for tag in entry.tags} == {"cs.LG", "stat.ML"}
        if entry.title.startswith("Diffusion"):
            assert "Yann LeCun" in ", ".join(author.get("name", "") for author in entry.authors)
            assert "ünïcødé survives" in entry.summary
            assert "$\\nabla \\log p_" in entry.summary


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_personal_feed_says_why_each_paper_matched_and_links_feedback(
    client: Client, urls: dict[str, str], world: dict[str, object], fmt: str
) -> None:
    parsed = feedparser.parse(client.get(urls[f"personal-{fmt}"]).content)

    by_title = {entry.title: entry.summary for entry in parsed.entries}
    papers = world["papers"]  # type: ignore[index]
    first, second = by_title[papers[0].title], by_title[papers[1].title]  # type: ignore[index]
    assert "Why: matches “diffusion”" in first
    assert "Why: by Yann LeCun" in second
    more, less = feedback_urls(subscriber=world["subscriber"], paper=papers[0])  # type: ignore[arg-type,index]
    assert f'href="{more}"' in first and f'href="{less}"' in first
    assert ">More like this</a>" in first and ">Less like this</a>" in first


def test_feedback_links_in_the_personal_feed_record_feedback(
    client: Client, urls: dict[str, str], world: dict[str, object]
) -> None:
    from digest.matching.models import Feedback

    paper = world["papers"][0]  # type: ignore[index]
    more, _ = feedback_urls(subscriber=world["subscriber"], paper=paper)  # type: ignore[arg-type]
    assert more in client.get(urls["personal-rss"]).content.decode().replace("&amp;", "&")

    client.post(more.removeprefix("http://testserver"))

    assert Feedback.objects.get(subscriber=world["subscriber"], paper=paper).value == 1
