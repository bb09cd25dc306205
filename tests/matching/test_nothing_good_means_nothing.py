from digest.matching.engine import Corpus, Interest, Subscribers, rank
from tests.matching.papers import BACKGROUND


def test_a_subscriber_whose_interests_match_nothing_gets_nothing(ranked) -> None:
    assert ranked(BACKGROUND, keywords='"diffusion models"\nreinforcement') == []


def test_a_weak_mention_deep_in_an_abstract_is_below_the_threshold(ranked) -> None:
    papers = [
        *BACKGROUND,
        (
            "Sediment transport in braided rivers",
            "Field measurements of bed load across seasons, channels, floods and banks; grain sizes, "
            "flow depth and slope are recorded, and a simple statistical summary is given.",
        ),
    ]
    assert ranked(papers, keywords="statistical") == []


def test_a_subscriber_with_no_interests_at_all_gets_nothing() -> None:
    corpus = Corpus(titles=[t for t, _ in BACKGROUND], abstracts=[a for _, a in BACKGROUND])
    ranking = rank(corpus, [Interest(label="Galaxies", name="Galaxies")], Subscribers(topics=[[], [0]]), k=5)
    assert ranking.for_subscriber(0) == []
    assert [p for p, _, _ in ranking.for_subscriber(1)] == [0]
