from digest.matching.engine import Interest
from tests.matching.papers import BACKGROUND

CANDIDATES = [
    (
        "Learning rate schedules for deep networks",
        "Warm-up and cosine decay of the learning rate in training.",
    ),
    ("Learning to rank search results", "Pairwise losses for ranking documents in web search."),
]
EXAMPLE = (
    "Adaptive optimisers and learning rate warm-up",
    "Why warm-up helps Adam when training deep networks.",
)


def test_a_topics_example_paper_decides_between_two_keyword_matches(ranked) -> None:
    papers = [*BACKGROUND, *CANDIDATES, EXAMPLE]
    plain = ranked(papers, topics=[Interest(label="Learning", keywords="learning")], blocked=[14])
    with_example = ranked(
        papers, topics=[Interest(label="Learning", keywords="learning", examples=(14,))], blocked=[14]
    )
    assert {p for p, _, _ in plain} == {12, 13}
    assert with_example[0][0] == 12
    scores = {p: s for p, s, _ in with_example}
    assert scores[12] - scores.get(13, 0.0) > 0.05


def test_a_liked_paper_alone_brings_similar_papers_and_says_which(ranked) -> None:
    papers = [*BACKGROUND, *CANDIDATES, EXAMPLE]
    found = ranked(papers, liked=[14], blocked=[14])
    assert found[0][0] == 12
    assert "Similar to “Adaptive optimisers and learning rate warm-up” you liked" in found[0][2]


def test_a_disliked_paper_pushes_similar_ones_down(ranked) -> None:
    papers = [*BACKGROUND, *CANDIDATES, EXAMPLE]
    plain = {p: s for p, s, _ in ranked(papers, keywords="learning", blocked=[14])}
    disliked = {p: s for p, s, _ in ranked(papers, keywords="learning", disliked=[14], blocked=[14])}
    assert disliked.get(12, 0) < plain[12]
    assert plain[13] - disliked.get(13, 0) < plain[12] - disliked.get(12, 0)
