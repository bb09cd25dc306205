"""Every result carries a short "why": the interest that carried it and at most three of its terms
that the paper contains, the rarest first; a phrase speaks for the words inside it."""

import numpy as np

from digest.matching.engine import Interest

PAPERS = [
    ("Quantum annealing for scheduling", "An annealer schedules factory jobs on a quantum device."),
    ("Coral reef resilience to heat waves", "Reefs recover after marine heat waves."),
    ("Graph neural networks for molecules", "Message passing predicts molecular properties."),
    ("Protein folding with language models", "A language model folds proteins."),
    ("Urban traffic forecasting", "Sensors forecast traffic in cities."),
    ("Bird migration and climate", "Birds migrate earlier in warm years."),
]


def test_own_keywords_name_the_matched_terms_and_a_phrase_hides_its_own_words(ranked) -> None:
    results = ranked(PAPERS, keywords='"quantum annealing"\nannealing\nscheduling\nfactory\ncoral')
    why = {paper: why for paper, _, why in results}
    assert why[0].startswith("Matches your keywords: ")
    terms = why[0].removeprefix("Matches your keywords: ").split(", ")
    assert "quantum annealing" in terms and "annealing" not in terms
    assert len(terms) == 3
    assert why[1] == "Matches your keywords: coral"


def test_a_topic_names_itself_and_a_personal_part_joins_it(ranked) -> None:
    topic = Interest(label="Reefs", keywords="coral\nreef")
    results = ranked(PAPERS, topics=[topic], keywords="graph")
    why = {paper: why for paper, _, why in results}
    assert why[1] == "Matches “Reefs”: coral, reef"
    assert why[2] == "Matches your keywords: graph"


def test_featured_papers_say_so_after_the_match(ranked) -> None:
    featured = [False, True, False, False, False, False]
    results = ranked(PAPERS, keywords="coral", corpus_extra={"featured": np.array(featured)})
    assert results[0][2] == "Matches your keywords: coral; featured by the curators"
