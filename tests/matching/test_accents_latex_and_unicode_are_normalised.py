from digest.matching.text import stems, words
from tests.matching.papers import BACKGROUND


def test_latex_accents_and_unicode_accents_fold_to_the_same_words() -> None:
    assert stems(r"Schr\"odinger") == stems("Schrödinger") == stems("SCHRODINGER")
    assert stems(r"{\'E}cole") == stems("École") == stems("ecole")


def test_latex_math_and_unicode_greek_meet() -> None:
    assert stems(r"$\alpha$-decay") == stems("\u03b1-decay") == stems("alpha decay")
    assert words(r"\emph{Fast} $\mathcal{O}(n)$") == ["fast", "o", "n"]


def test_ligatures_and_full_width_letters_fold() -> None:
    assert stems("ﬁne-tuning") == stems("fine-tuning")
    assert stems("\uff22\uff25\uff32\uff34") == ["bert"]


def test_a_keyword_finds_a_latex_title_and_the_title_is_not_changed(ranked) -> None:
    title = r"$\alpha$-decay of Schr\"odinger cats"
    papers = [*BACKGROUND, (title, "Coherent states in an anharmonic trap.")]
    results = ranked(papers, keywords='"\u03b1-decay"\nschrödinger')
    assert [p for p, _, _ in results] == [len(BACKGROUND)]
    assert papers[len(BACKGROUND)][0] == title
