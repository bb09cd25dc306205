import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.matching.helpers import background, paper

pytestmark = pytest.mark.django_db


def _rank(*args: str) -> list[dict]:
    out = StringIO()
    call_command("rank", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_lists_id_arxiv_id_title_score_and_why_best_first() -> None:
    background()
    best = paper("Graph neural networks for molecules", "Message passing on molecular graphs.")
    also = paper("Molecular property prediction", "Graph neural networks predict solubility.")
    results = _rank('"graph neural networks"')
    assert [r["id"] for r in results] == [best.pk, also.pk]
    assert set(results[0]) == {"id", "arxiv_id", "title", "score", "why"}
    assert results[0]["arxiv_id"] == best.arxiv_id
    assert results[0]["score"] >= results[1]["score"]
    assert "graph neural networks" in results[0]["why"]


def test_seed_papers_exclusions_authors_since_and_limit() -> None:
    background()
    seed = paper("Learning rate warm-up for deep networks", "Warm-up of the learning rate helps Adam train.")
    similar = paper(
        "Learning rate schedules with cosine decay", "Cosine decay of the learning rate in training."
    )
    excluded = paper("Learning rate tricks for language models", "Warm-up for language model pretraining.")
    followed = paper("Coral reefs and heat", "Bleaching.", authors=["Yann LeCun"])
    results = _rank(
        "optimisation", "--seed-paper", str(seed.pk), "--exclude", "language", "--author", "Y. LeCun"
    )
    ids = [r["id"] for r in results]
    assert followed.pk in ids and similar.pk in ids
    assert seed.pk not in ids and excluded.pk not in ids
    assert len(_rank("optimisation", "--seed-paper", str(seed.pk), "--limit", "1")) == 1
    assert _rank("optimisation", "--seed-paper", str(seed.pk), "--since", "2999-01-01") == []


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(CommandError, match="no paper with id 999999"):
        call_command("rank", "x", "--seed-paper", "999999")
    with pytest.raises(CommandError, match="--since"):
        call_command("rank", "x", "--since", "yesterday")


def test_text_output_says_when_nothing_qualifies() -> None:
    background()
    out = StringIO()
    call_command("rank", '"diffusion models"', stdout=out)
    assert "Nothing good enough" in out.getvalue()
