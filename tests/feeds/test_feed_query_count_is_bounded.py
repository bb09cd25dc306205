from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from digest.feeds import views
from tests.factories import MatchFactory, PaperFactory
from tests.feeds.conftest import feed_urls

KINDS = ["latest", "topic", "author", "personal"]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(world: dict[str, object], n: int) -> None:
    for i in range(n):
        paper = PaperFactory(
            title=f"More diffusion {i}",
            abstract="diffusion",
            authors=["Yann LeCun", f"Extra {i}", f"Other {i}"],
        )
        MatchFactory(subscriber=world["subscriber"], paper=paper)


@pytest.mark.parametrize("kind", KINDS)
def test_rendering_a_feed_takes_no_more_queries_for_60_entries_than_for_3(
    client: Client, world: dict[str, object], kind: str
) -> None:
    url = feed_urls(world)[f"{kind}-atom"]
    small = _queries(client, url)

    _grow(world, 60)
    views._memo.clear()
    large = _queries(client, url)

    assert large <= small
    # The version query and the entries; the topic ranking reads its corpus in a few more.
    assert small <= (7 if kind == "topic" else 2)


@pytest.mark.parametrize("kind", KINDS)
def test_a_cached_feed_or_a_304_costs_one_query(
    client: Client, world: dict[str, object], kind: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _grow(world, 60)
    url = feed_urls(world)[f"{kind}-rss"]
    etag = client.get(url)["ETag"]

    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
