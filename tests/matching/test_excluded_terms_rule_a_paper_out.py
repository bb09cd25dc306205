from tests.matching.papers import BACKGROUND

WANTED = ("Transformers for protein design", "Attention models generate sequences.")
UNWANTED = ("Transformers for large language models", "Scaling laws of language model pretraining.")


def test_an_excluded_term_removes_an_otherwise_matching_paper(ranked) -> None:
    papers = [*BACKGROUND, WANTED, UNWANTED]
    assert {p for p, _, _ in ranked(papers, keywords="transformer")} == {12, 13}
    assert [p for p, _, _ in ranked(papers, keywords="transformer", excluded="language")] == [12]


def test_an_excluded_phrase_only_removes_the_phrase(ranked) -> None:
    papers = [*BACKGROUND, WANTED, UNWANTED]
    found = ranked(papers, keywords="transformer", excluded='"language models"\n"protein folding"')
    assert [p for p, _, _ in found] == [12]


def test_exclusions_ignore_case_and_inflection(ranked) -> None:
    papers = [*BACKGROUND, WANTED, UNWANTED]
    assert [p for p, _, _ in ranked(papers, keywords="transformer", excluded="LANGUAGES")] == [12]
