import numpy as np

from tests.matching.papers import BACKGROUND

PAIR = [
    ("Quantum annealing for scheduling", "An annealer schedules jobs."),
    ("Quantum annealing for routing", "An annealer routes vehicles."),
]


def test_a_hidden_paper_never_appears(ranked) -> None:
    papers = [*BACKGROUND, *PAIR]
    hidden = np.zeros(len(papers), dtype=bool)
    hidden[12] = True
    found = ranked(papers, keywords='"quantum annealing"', corpus_extra={"hidden": hidden})
    assert [p for p, _, _ in found] == [13]


def test_a_featured_paper_is_boosted_above_an_equal_one_and_says_so(ranked) -> None:
    papers = [*BACKGROUND, *PAIR]
    plain = ranked(papers, keywords='"quantum annealing"')
    featured = np.zeros(len(papers), dtype=bool)
    underdog = plain[-1][0]
    featured[underdog] = True
    boosted = ranked(papers, keywords='"quantum annealing"', corpus_extra={"featured": featured})
    assert boosted[0][0] == underdog
    assert boosted[0][1] > plain[0][1]
    assert "featured by the curators" in boosted[0][2]


def test_featuring_does_not_make_an_irrelevant_paper_qualify(ranked) -> None:
    papers = [*BACKGROUND, *PAIR]
    featured = np.ones(len(papers), dtype=bool)
    found = ranked(papers, keywords='"quantum annealing"', corpus_extra={"featured": featured})
    assert {p for p, _, _ in found} == {12, 13}
