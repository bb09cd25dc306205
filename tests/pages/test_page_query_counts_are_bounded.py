from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/", "/?q=paper", "/?page=2"])
def test_list_pages_take_as_many_queries_for_many_papers_as_for_few(client: Client, url: str) -> None:
    for i in range(21):
        PaperFactory(title=f"Paper {i}", upvotes=i, authors=["Ada Lovelace", f"Coauthor {i}"])
    few = _queries(client, url)

    for i in range(40):
        PaperFactory(title=f"More paper {i}", upvotes=i, authors=["Ada Lovelace", f"Other {i}", f"Third {i}"])
    many = _queries(client, url)

    assert many == few <= 8


def test_the_author_page_query_count_does_not_grow_with_their_papers(client: Client) -> None:
    first = PaperFactory(authors=["Emmy Noether"])
    url = f"/authors/{first.authorships.get().author_id}/"
    few = _queries(client, url)

    for _ in range(30):
        PaperFactory(authors=["Emmy Noether", "Someone"])
    assert _queries(client, url) == few
