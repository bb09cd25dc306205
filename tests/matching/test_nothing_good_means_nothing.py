from digest.matching.engine import Corpus, Interest, Subscribers, rank
from tests.matching.papers import BACKGROUND


def test_a_subscriber_whose_interests_match_nothing_gets_nothing(ranked) -> None:
    assert ranked(BACKGROUND, keywords='"diffusion models"\nreinforcement') == []


def test_a_paper_sharing_only_a_word_with_a_liked_paper_does_not_qualify(ranked) -> None:
    liked = ("Learning rate warm-up for deep networks", "Warm-up of the learning rate helps Adam train.")
    close = ("Learning rate schedules with cosine decay", "Cosine decay of the learning rate in training.")
    far = ("Deep sea vents and microbial life", "Hydrothermal vents host microbes in the deep ocean.")
    papers = [*BACKGROUND, far, liked]
    assert ranked(papers, liked=[13], blocked=[13]) == []
    papers = [*BACKGROUND, far, close, liked]
    assert [p for p, _, _ in ranked(papers, liked=[14], blocked=[14])] == [13]


def test_a_subscriber_with_no_interests_at_all_gets_nothing() -> None:
    corpus = Corpus(titles=[t for t, _ in BACKGROUND], abstracts=[a for _, a in BACKGROUND])
    ranking = rank(corpus, [Interest(label="Galaxies", name="Galaxies")], Subscribers(topics=[[], [0]]), k=5)
    assert ranking.for_subscriber(0) == []
    assert [p for p, _, _ in ranking.for_subscriber(1)] == [0]
