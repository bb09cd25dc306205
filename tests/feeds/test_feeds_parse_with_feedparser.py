from __future__ import annotations

import feedparser
import pytest
from django.test import Client

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


def test_the_personal_feed_says_why_each_paper_matched_best_match_first_within_newest(
    client: Client, urls: dict[str, str]
) -> None:
    parsed = feedparser.parse(client.get(urls["personal-atom"]).content)

    summaries = [entry.summary for entry in parsed.entries]
    assert any("Why: matches “diffusion”" in s for s in summaries)
    assert any("Why: by Yann LeCun" in s for s in summaries)
