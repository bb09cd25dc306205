from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digest.papers.models import Topic
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic() -> Topic:
    return TopicFactory(name="Curated list", description="", keywords='"protein folding"\nprotein structure')


def _preview_ids(response: object) -> list[int]:
    return [r.paper.pk for r in response.context["ranked"]]  # type: ignore[attr-defined]


def test_the_topic_page_previews_what_the_topic_matches(curator_client: Client, topic: Topic) -> None:
    folding = PaperFactory(
        title="Protein folding with diffusion models", abstract="We predict protein structure."
    )
    PaperFactory(title="Sparse attention for long documents", abstract="Efficient transformers.")
    response = curator_client.get(reverse("admin:papers_topic_change", args=[topic.pk]))
    # Best first; with semantic matching on, weaker neighbours may follow.
    assert next(r.paper.pk for r in response.context["preview"]["ranked"]) == folding.pk
    assert "Protein folding with diffusion models" in response.content.decode()


def test_a_hidden_paper_leaves_the_preview(curator_client: Client, topic: Topic) -> None:
    folding = PaperFactory(title="Protein folding with diffusion models")
    url = reverse("admin:papers_topic_preview", args=[topic.pk])
    assert _preview_ids(curator_client.get(url)) == [folding.pk]
    curator_client.post(reverse("admin:papers_paper_visibility", args=[folding.pk]), {"hidden": "1"})
    assert _preview_ids(curator_client.get(url)) == []


def test_unsaved_keywords_preview_without_saving(curator_client: Client, topic: Topic) -> None:
    PaperFactory(title="Protein folding with diffusion models")
    attention = PaperFactory(title="Sparse attention for long documents")
    url = reverse("admin:papers_topic_preview", args=[topic.pk])
    response = curator_client.get(url, {"keywords": "sparse attention"})
    assert _preview_ids(response)[0] == attention.pk
    assert b"unsaved keywords" in response.content
    topic.refresh_from_db()
    assert "protein" in topic.keywords


def test_the_preview_window_counts_days_back_from_now(curator_client: Client, topic: Topic) -> None:
    PaperFactory(title="Protein folding, an old result", published_at=timezone.now() - timedelta(days=20))
    url = reverse("admin:papers_topic_preview", args=[topic.pk])
    assert _preview_ids(curator_client.get(url, {"days": "7"})) == []
    assert len(_preview_ids(curator_client.get(url, {"days": "30"}))) == 1
    # Anything but the offered windows falls back to the default instead of failing.
    assert curator_client.get(url, {"days": "-5"}).context["days"] == 30


def test_by_default_the_preview_reaches_back_to_the_newest_paper(
    curator_client: Client, topic: Topic
) -> None:
    PaperFactory(title="Protein folding, an old result", published_at=timezone.now() - timedelta(days=200))
    response = curator_client.get(reverse("admin:papers_topic_preview", args=[topic.pk]))
    assert response.context["days"] == 365
    assert len(_preview_ids(response)) == 1


def test_the_topic_list_counts_subscribers(curator_client: Client, topic: Topic) -> None:
    for subscriber in SubscriberFactory.create_batch(3):
        subscriber.topics.add(topic)
    response = curator_client.get(reverse("admin:papers_topic_changelist"))
    assert response.context["cl"].result_list[0].n_subscribers == 3


def test_example_papers_are_picked_with_autocomplete(curator_client: Client) -> None:
    paper = PaperFactory(title="Protein folding with diffusion models")
    response = curator_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "papers", "model_name": "topic", "field_name": "example_papers", "term": "folding"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(paper.pk)]


def test_a_paper_title_in_the_preview_is_text(curator_client: Client) -> None:
    topic = TopicFactory(keywords="script")
    PaperFactory(title="<script>alert('script')</script>")
    content = curator_client.get(reverse("admin:papers_topic_preview", args=[topic.pk])).content.decode()
    assert "<script>alert" not in content and "&lt;script&gt;" in content
