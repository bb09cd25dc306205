from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.factories import PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _titles(client: Client, query: str) -> str:
    response = client.get("/?" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_search_matches_title_abstract_and_author_names_case_insensitively(client: Client) -> None:
    PaperFactory(title="Sparse attention for long documents", abstract="x")
    PaperFactory(title="Unrelated one", abstract="We study SPARSE mixtures.")
    PaperFactory(title="By a known author", abstract="x", authors=["Jane Sparseman"])
    PaperFactory(title="Nothing to see", abstract="Dense things.")

    html = _titles(client, "q=sparse")

    assert "Sparse attention" in html and "Unrelated one" in html
    assert "Nothing to see" not in html
    assert "3 matching papers" in html
    assert "By a known author" not in _titles(client, "q=sparse+attention")
    assert "By a known author" in _titles(client, "q=jane+sparseman")


def test_quoted_phrases_search_as_one_term(client: Client) -> None:
    PaperFactory(title="Graph neural networks", abstract="x")
    PaperFactory(title="Neural nets on a graph", abstract="x")

    html = _titles(client, "q=%22graph+neural%22")

    assert "Graph neural networks" in html and "Neural nets on a graph" not in html


def test_the_topic_filter_keeps_papers_with_the_topics_keywords(client: Client) -> None:
    TopicFactory(slug="robots", keywords='robot\n"motion planning"')
    PaperFactory(title="Robot arms", abstract="x")
    PaperFactory(title="Fast motion planning", abstract="x")
    PaperFactory(title="Pure maths", abstract="x")

    html = _titles(client, "topic=robots")

    assert "Robot arms" in html and "Fast motion planning" in html and "Pure maths" not in html


def test_date_filters_bound_the_publication_day(client: Client) -> None:
    PaperFactory(title="January paper", published_at=datetime(2024, 1, 10, 12, tzinfo=UTC))
    PaperFactory(title="March paper", published_at=datetime(2024, 3, 10, 12, tzinfo=UTC))

    html = _titles(client, "date_from=2024-03-10&date_to=2024-03-10")

    assert "March paper" in html and "January paper" not in html
    assert "January paper" in _titles(client, "date_to=2024-01-31")


def test_bad_filter_input_is_a_clear_error_not_a_500(client: Client) -> None:
    PaperFactory(title="Still listed")

    for query in ("date_from=yesterday", "topic=no-such-topic", "date_from=2024-05-01&date_to=2024-01-01"):
        response = client.get("/?" + query)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'class="errorlist' in html
        assert "Still listed" in html


def test_pagination_links_keep_the_filters(client: Client) -> None:
    for i in range(25):
        PaperFactory(title=f"Kernel methods {i}")

    html = _titles(client, "q=kernel")

    assert 'href="?q=kernel&amp;page=2"' in html
