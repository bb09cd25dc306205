from __future__ import annotations

import pytest
from django.test import Client

from digest.papers.models import Author
from tests.factories import PaperFactory, TopicFactory
from tests.feeds.conftest import NOISE

pytestmark = pytest.mark.django_db


def test_the_paper_page_shows_everything_about_the_paper_with_the_abstract_escaped(client: Client) -> None:
    paper = PaperFactory(
        title="Learning <i>everything</i>",
        abstract="Line one with $\\sum_i x_i$ & <script>alert(1)</script>\nLine two",
        authors=["Grace Hopper", "Alan Turing"],
        code_urls=["https://github.com/example/repo"],
        arxiv_id="2401.12345",
    )

    response = client.get(paper.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Learning &lt;i&gt;everything&lt;/i&gt;</h1>" in html
    assert "$\\sum_i x_i$ &amp; &lt;script&gt;alert(1)&lt;/script&gt;<br>Line two" in html
    for name in ("Grace Hopper", "Alan Turing"):
        author = Author.objects.get(name=name)
        assert f'<a href="{author.get_absolute_url()}">{name}</a>' in html
    assert "https://arxiv.org/abs/2401.12345" in html and "https://arxiv.org/pdf/2401.12345" in html
    assert "https://github.com/example/repo" in html
    assert f'href="/subscribe/?paper={paper.pk}"' in html


def test_the_paper_page_lists_similar_papers(client: Client) -> None:
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract)
    paper = PaperFactory(
        title="Learning rate warm-up for deep networks", abstract="Warm-up of the learning rate."
    )
    close = PaperFactory(
        title="Learning rate schedules with warm-up", abstract="Warm-up of the learning rate."
    )

    html = client.get(paper.get_absolute_url()).content.decode()

    similar = html[html.index("Similar papers") :]
    assert close.title in similar


def test_hidden_and_unknown_papers_are_404(client: Client) -> None:
    hidden = PaperFactory(hidden=True)

    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get("/papers/999999/").status_code == 404


def test_the_author_page_lists_their_papers_newest_first_with_their_feeds(client: Client) -> None:
    PaperFactory(title="Her second paper", authors=["Emmy Noether"])
    PaperFactory(title="Someone else's", authors=["Other Person"])
    author = Author.objects.get(name="Emmy Noether")
    PaperFactory(
        title="Her first paper",
        authors=["Emmy Noether"],
        published_at=author.papers.get().published_at.replace(year=2020),
    )

    html = client.get(author.get_absolute_url()).content.decode()

    assert html.index("Her second paper") < html.index("Her first paper")
    assert "Someone else's" not in html
    assert f'href="/feeds/authors/{author.pk}.rss"' in html
    assert client.get("/authors/999999/").status_code == 404


def test_the_topic_page_shows_description_recent_matches_feeds_and_subscribe(client: Client) -> None:
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract)
    topic = TopicFactory(
        name="Annealing",
        slug="annealing",
        keywords='"quantum annealing"',
        description="Annealers & <b>friends</b>.",
    )
    PaperFactory(title="Quantum annealing for scheduling", abstract="An annealer schedules jobs.")

    html = client.get(topic.get_absolute_url()).content.decode()

    assert "Annealers &amp; &lt;b&gt;friends&lt;/b&gt;." in html
    assert "Quantum annealing for scheduling" in html
    assert "Matches “Annealing”" in html
    assert 'href="/subscribe/?topic=annealing"' in html
    assert 'href="/feeds/topics/annealing.atom"' in html
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_the_topic_page_shares_the_feeds_cached_ranking_and_follows_keyword_edits(
    client: Client, django_assert_max_num_queries: object
) -> None:
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract)
    topic = TopicFactory(slug="annealing", keywords='"quantum annealing"')
    PaperFactory(title="Quantum annealing for scheduling", abstract="An annealer schedules jobs.")
    client.get("/feeds/topics/annealing.rss")

    # The version, the ranked papers from the cached ranking, their authors: no new ranking.
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        html = client.get(topic.get_absolute_url()).content.decode()
    assert "Quantum annealing for scheduling" in html

    topic.keywords = "coral"
    topic.save()
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Coral reef resilience" in html and "Quantum annealing for scheduling" not in html


def test_similar_papers_are_cached_until_a_paper_arrives(client: Client) -> None:
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract)
    paper = PaperFactory(
        title="Learning rate warm-up for deep networks", abstract="Warm-up of the learning rate."
    )
    client.get(paper.get_absolute_url())

    newcomer = PaperFactory(title="Learning rate warm-up, again", abstract="Warm-up of the learning rate.")
    html = client.get(paper.get_absolute_url()).content.decode()

    assert newcomer.title in html[html.index("Similar papers") :]
