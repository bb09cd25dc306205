from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:papers_paper_changelist")


def _ids(client: Client, **params: str) -> set[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {p.pk for p in response.context["cl"].result_list}


def test_search_finds_papers_by_title_abstract_author_and_arxiv_id(curator_client: Client) -> None:
    by_title = PaperFactory(title="Sparse attention for long documents")
    by_abstract = PaperFactory(abstract="We propose a diffusion sampler.")
    by_author = PaperFactory(authors=["Grace Hopper"])
    by_id = PaperFactory(key="2501.01234", arxiv_id="2501.01234")
    assert _ids(curator_client, q="sparse attention") == {by_title.pk}
    assert _ids(curator_client, q="diffusion") == {by_abstract.pk}
    assert _ids(curator_client, q="Hopper") == {by_author.pk}
    assert _ids(curator_client, q="2501.01234v3") == {by_id.pk}
    assert _ids(curator_client, q="https://arxiv.org/abs/2501.01234") == {by_id.pk}


def test_a_quoted_phrase_is_searched_as_one_phrase(curator_client: Client) -> None:
    phrase = PaperFactory(title="Graph neural networks at scale")
    PaperFactory(title="Networks of graph databases")
    assert _ids(curator_client, q='"graph neural"') == {phrase.pk}


def test_filters_for_hidden_featured_code_source_and_category(curator_client: Client) -> None:
    hidden = PaperFactory(hidden=True)
    featured = PaperFactory(featured=True, sources="hf arxiv")
    code = PaperFactory(has_code=True, primary_category="cs.CV", sources="arxiv")
    assert _ids(curator_client, hidden__exact="1") == {hidden.pk}
    assert _ids(curator_client, featured__exact="1") == {featured.pk}
    assert _ids(curator_client, has_code__exact="1") == {code.pk}
    assert _ids(curator_client, primary_category="cs.CV") == {code.pk}
    assert _ids(curator_client, source="hf") == {featured.pk}
    assert _ids(curator_client, source="arxiv") == {featured.pk, code.pk}


def test_the_date_filter_keeps_recent_papers(curator_client: Client) -> None:
    recent = PaperFactory(published_at=timezone.now() - timedelta(hours=1))
    PaperFactory(published_at=timezone.now() - timedelta(days=60))
    assert _ids(
        curator_client,
        published_at__gte=str(timezone.localdate() - timedelta(days=6)),
        published_at__lt=str(timezone.localdate() + timedelta(days=1)),
    ) == {recent.pk}


def test_the_topic_filter_keeps_papers_with_its_phrases_or_its_example_papers(curator_client: Client) -> None:
    topic = TopicFactory(keywords='"reinforcement learning"\nbandits')
    rl = PaperFactory(title="Offline reinforcement learning")
    bandit = PaperFactory(abstract="Contextual bandits with delays.")
    example = PaperFactory(title="Unrelated title")
    PaperFactory(title="Learning to reinforce bridges")
    topic.example_papers.add(example)
    assert _ids(curator_client, topic=str(topic.pk)) == {rl.pk, bandit.pk, example.pk}


def test_an_unknown_topic_in_the_filter_is_not_an_error(curator_client: Client) -> None:
    PaperFactory()
    TopicFactory()
    assert _ids(curator_client, topic="999999") == set()
    assert curator_client.get(CHANGELIST, {"topic": "abc"}).status_code == 200


def test_search_operators_typed_by_a_curator_are_plain_words() -> None:
    from digest.curation.search import _phrase_query

    assert _phrase_query("foo & !bar | baz:*") == "foo <-> bar <-> baz:*"
    assert _phrase_query("&|!()") is None


def test_a_search_of_only_punctuation_is_not_an_error(curator_client: Client) -> None:
    PaperFactory()
    assert curator_client.get(CHANGELIST, {"q": "&|!"}).status_code == 200


def test_a_search_without_hits_shows_an_empty_list(curator_client: Client) -> None:
    PaperFactory(title="Sparse attention")
    assert _ids(curator_client, q="zzyzx") == set()


def test_a_common_word_is_found_in_every_paper_that_has_it(
    curator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.curation import search

    # Past the id-list limit, the search keeps the full-text expression in the query.
    monkeypatch.setattr(search, "ID_LIST_MAX", 1)
    many = [PaperFactory(title=f"Protein design {n}") for n in range(3)]
    PaperFactory(title="Sparse attention")
    assert _ids(curator_client, q="protein") == {p.pk for p in many}
