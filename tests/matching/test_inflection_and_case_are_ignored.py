from tests.matching.papers import BACKGROUND


def test_a_singular_lower_case_keyword_finds_a_capitalised_plural(ranked) -> None:
    papers = [*BACKGROUND, ("Transformers Are Efficient Learners", "We revisit attention layers.")]
    results = ranked(papers, keywords="transformer")
    assert [p for p, _, _ in results] == [len(BACKGROUND)]
    assert results[0][2] == "Matches your keywords: transformer"


def test_verb_forms_meet_at_one_stem(ranked) -> None:
    papers = [*BACKGROUND, ("Learned optimizers", "An optimizer computed by a network that was trained.")]
    assert [p for p, _, _ in ranked(papers, keywords="learning")] == [len(BACKGROUND)]
    assert [p for p, _, _ in ranked(papers, keywords="compute")] == [len(BACKGROUND)]


def test_a_derived_word_reaches_its_relatives(ranked) -> None:
    papers = [
        *BACKGROUND,
        ("Superconducting vortices in thin films", "Vortex pinning in type-II superconductors."),
    ]
    results = ranked(papers, keywords="superconductivity")
    assert [p for p, _, _ in results] == [len(BACKGROUND)]
    assert "superconductivity" in results[0][2]
