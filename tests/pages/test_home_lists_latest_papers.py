from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_home_lists_the_newest_papers_with_authors_date_snippet_and_links(client: Client) -> None:
    older = PaperFactory(title="Older paper", published_at=timezone.now() - timedelta(days=3))
    newer = PaperFactory(
        title="Newer paper",
        arxiv_id="2401.99999",
        abstract="Long abstract " * 60,
        code_urls=["https://github.com/example/code"],
        authors=["Grace Hopper", "Alan Turing"],
    )

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Newer paper") < html.index("Older paper")
    turing = newer.authorships.get(position=1).author
    assert f'href="{turing.get_absolute_url()}">Alan Turing</a>' in html
    assert f'href="{newer.get_absolute_url()}"' in html
    assert f'href="{older.get_absolute_url()}"' in html
    assert "https://arxiv.org/abs/2401.99999" in html
    assert "https://arxiv.org/pdf/2401.99999" in html
    assert "https://github.com/example/code" in html
    assert newer.published_at.strftime("%Y-%m-%d") in html
    # A snippet, not the whole abstract.
    assert "Long abstract " * 20 in html
    assert "Long abstract " * 60 not in html


def test_home_is_paginated_twenty_per_page(client: Client) -> None:
    papers = [PaperFactory(title=f"Paper number {i:02d}") for i in range(25)]

    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()

    assert first.count('class="paper"') == 20
    assert second.count('class="paper"') == 5
    assert 'rel="next" href="?page=2"' in first
    assert papers[-1].title not in first and papers[-1].title in second


def test_an_out_of_range_or_garbage_page_number_shows_a_page_not_an_error(client: Client) -> None:
    PaperFactory()

    assert client.get("/?page=999").status_code == 200
    assert client.get("/?page=abc").status_code == 200


def test_html_in_titles_and_abstracts_is_shown_as_text(client: Client) -> None:
    PaperFactory(title="<script>alert(1)</script> title", abstract="Uses <b>bold</b> and $\\alpha^2$")

    html = client.get("/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; title" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "$\\alpha^2$" in html


def test_hidden_papers_are_not_listed(client: Client) -> None:
    PaperFactory(title="Hidden one", hidden=True)
    PaperFactory(title="Shown one")

    html = client.get("/").content.decode()

    assert "Shown one" in html and "Hidden one" not in html


def test_trending_shows_the_most_upvoted_papers_of_the_week_when_upvotes_exist(client: Client) -> None:
    PaperFactory(title="Quiet paper", upvotes=1)
    PaperFactory(title="Popular paper", upvotes=120)

    html = client.get("/").content.decode()
    trending = html[html.index("Trending this week") : html.index("Newest first")]

    assert trending.index("Popular paper") < trending.index("Quiet paper")


def test_without_upvotes_there_is_no_trending_section(client: Client) -> None:
    PaperFactory(upvotes=None)

    assert "Trending" not in client.get("/").content.decode()
