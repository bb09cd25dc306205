from datetime import timedelta

import pytest
from django.utils import timezone

from digest.matching.selectors import similar_papers, topic_ranking
from tests.factories import TopicFactory
from tests.matching.helpers import background, paper

pytestmark = pytest.mark.django_db


def test_a_topic_ranking_lists_its_papers_with_a_why_and_previews_unsaved_keywords() -> None:
    background()
    annealing = paper("Quantum annealing for scheduling", "An annealer schedules jobs.")
    old = paper(
        "Quantum annealing in 1998", "An early annealer.", published_at=timezone.now() - timedelta(days=400)
    )
    topic = TopicFactory(name="Watch list", keywords='"quantum annealing"', description="")
    ranked = topic_ranking(topic=topic, since=timezone.now() - timedelta(days=30), limit=5)
    assert [r.paper for r in ranked] == [annealing]
    assert ranked[0].why == "Matches “Watch list”: quantum annealing"
    assert ranked[0].score > 0
    assert {r.paper for r in topic_ranking(topic=topic, since=None, limit=5)} == {annealing, old}

    topic.keywords = "coral"  # an edit in the admin form, not saved
    assert [r.paper.title for r in topic_ranking(topic=topic, since=None, limit=5)] == [
        "Coral reef resilience to heat waves"
    ]


def test_a_topic_leaves_its_own_example_papers_out() -> None:
    background()
    example = paper("Quantum annealing for scheduling", "An annealer schedules jobs.")
    other = paper("Quantum annealing for routing", "An annealer routes vehicles.")
    topic = TopicFactory(name="Annealing", keywords='"quantum annealing"')
    topic.example_papers.add(example)
    assert [r.paper for r in topic_ranking(topic=topic, since=None, limit=5)] == [other]


def test_similar_papers_are_the_close_ones_and_never_the_paper_itself() -> None:
    background()
    warmup = paper(
        "Learning rate warm-up for deep networks", "Warm-up of the learning rate helps Adam train."
    )
    cosine = paper(
        "Learning rate schedules with cosine decay", "Cosine decay of the learning rate in training."
    )
    hidden = paper("Learning rate warm-up revisited", "Warm-up of the learning rate.", hidden=True)
    found = similar_papers(paper=warmup, limit=3)
    assert found[0] == cosine
    assert warmup not in found and hidden not in found
    assert len(found) <= 3
