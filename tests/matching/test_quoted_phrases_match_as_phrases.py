from tests.matching.papers import BACKGROUND

PHRASE_PAPER = ("Graph neural networks for molecules", "Message passing over molecular graphs.")
SCATTERED = ("Neural decoding of speech", "A network model and a graph of results on recordings.")


def test_a_quoted_phrase_finds_the_words_together(ranked) -> None:
    papers = [*BACKGROUND, PHRASE_PAPER, SCATTERED]
    results = ranked(papers, keywords='"graph neural networks"')
    assert [p for p, _, _ in results] == [len(BACKGROUND)]
    assert "graph neural networks" in results[0][2]


def test_the_same_words_unquoted_also_match_them_scattered(ranked) -> None:
    papers = [*BACKGROUND, PHRASE_PAPER, SCATTERED]
    found = [p for p, _, _ in ranked(papers, keywords="graph neural networks")]
    assert found[0] == len(BACKGROUND)
    assert len(BACKGROUND) + 1 in found


def test_a_hyphenated_keyword_is_a_phrase(ranked) -> None:
    papers = [
        *BACKGROUND,
        ("Self-supervised pretraining of vision models", "Contrastive learning without labels."),
        ("Supervised learning of the self", "A psychology-inspired model of identity."),
    ]
    found = [p for p, _, _ in ranked(papers, keywords="self-supervised")]
    assert found == [len(BACKGROUND)]
