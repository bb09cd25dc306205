from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from tests.factories import MatchFactory, PaperFactory


@pytest.mark.parametrize("kind", ["latest", "topic", "author", "personal"])
def test_feeds_carry_etag_last_modified_and_cache_control(
    client: Client, urls: dict[str, str], kind: str
) -> None:
    response = client.get(urls[f"{kind}-atom"])

    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"].endswith("GMT")
    expected = "private" if kind == "personal" else "public"
    assert response["Cache-Control"].startswith(expected)


@pytest.mark.parametrize("kind", ["latest", "topic", "author", "personal"])
def test_a_conditional_get_with_the_etag_answers_304_with_an_empty_body(
    client: Client, urls: dict[str, str], kind: str
) -> None:
    first = client.get(urls[f"{kind}-rss"])

    again = client.get(urls[f"{kind}-rss"], HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_if_modified_since_at_or_after_last_modified_answers_304(
    client: Client, urls: dict[str, str]
) -> None:
    first = client.get(urls["latest-atom"])

    assert client.get(urls["latest-atom"], HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    earlier = http_date((timezone.now() - timedelta(days=30)).timestamp())
    assert client.get(urls["latest-atom"], HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_an_unchanged_feed_keeps_its_etag_and_body(client: Client, urls: dict[str, str]) -> None:
    first = client.get(urls["topic-atom"])
    second = client.get(urls["topic-atom"])

    assert second["ETag"] == first["ETag"]
    assert second.content == first.content


@pytest.mark.parametrize("kind", ["latest", "topic", "author"])
def test_a_new_paper_changes_the_etag_and_appears_at_once(
    client: Client, urls: dict[str, str], kind: str
) -> None:
    first = client.get(urls[f"{kind}-rss"])

    PaperFactory(title="Fresh diffusion results", abstract="diffusion again", authors=["Yann LeCun"])
    second = client.get(urls[f"{kind}-rss"], HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert b"Fresh diffusion results" in second.content


def test_a_new_match_changes_the_personal_feed(
    client: Client, urls: dict[str, str], world: dict[str, object]
) -> None:
    first = client.get(urls["personal-atom"])

    MatchFactory(subscriber=world["subscriber"], paper=world["papers"][2], why="a brand new reason")  # type: ignore[index]
    second = client.get(urls["personal-atom"], HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert "a brand new reason" in second.content.decode()


def test_hiding_a_paper_removes_it_from_the_cached_feed(
    client: Client, urls: dict[str, str], world: dict[str, object]
) -> None:
    first = client.get(urls["latest-rss"])
    paper = world["papers"][0]  # type: ignore[index]
    assert paper.title.encode() in first.content

    # A bulk update, as an admin action would do: no signal, no modified_at bump.
    type(paper).objects.filter(pk=paper.pk).update(hidden=True)
    second = client.get(urls["latest-rss"])

    assert second["ETag"] != first["ETag"]
    assert paper.title.encode() not in second.content


def test_editing_a_topic_keywords_refreshes_its_feed(
    client: Client, urls: dict[str, str], world: dict[str, object]
) -> None:
    PaperFactory(title="Transformers for proteins", abstract="protein language models")
    before = client.get(urls["topic-rss"])
    assert b"Transformers for proteins" not in before.content

    topic = world["topic"]
    topic.keywords += "\nprotein"  # type: ignore[attr-defined]
    topic.save()  # type: ignore[attr-defined]
    after = client.get(urls["topic-rss"])

    assert b"Transformers for proteins" in after.content


def test_feeds_answer_head_and_refuse_post(client: Client, urls: dict[str, str]) -> None:
    assert client.head(urls["latest-rss"]).status_code == 200
    assert client.post(urls["latest-rss"]).status_code == 405


def test_two_changes_within_one_second_get_strictly_later_last_modified_dates(
    client: Client, db: None
) -> None:
    """libcurl (newsboat) drops a 200 whose Last-Modified is not newer than its If-Modified-Since."""
    with time_machine.travel(datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC), tick=False):
        PaperFactory(title="First of the second")
        first = client.get("/feeds/latest.atom")
        PaperFactory(title="Second of the second")
        second = client.get("/feeds/latest.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert second.status_code == 200
    assert b"Second of the second" in second.content
    assert parsedate_to_datetime(second["Last-Modified"]) > parsedate_to_datetime(first["Last-Modified"])
