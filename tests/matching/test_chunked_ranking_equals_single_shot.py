import random

import numpy as np

from digest.matching.engine import Corpus, Engine, Interest, Subscribers
from tests.matching.papers import BACKGROUND

WORDS = [
    "galaxy",
    "prime",
    "protein",
    "policy",
    "radar",
    "insulator",
    "compiler",
    "reef",
    "quantum",
    "traffic",
    "glacier",
    "auction",
]


def _population(n: int) -> tuple[Corpus, list[Interest], Subscribers]:
    rng = random.Random(5)
    titles = [t for t, _ in BACKGROUND] * 3
    abstracts = [a for _, a in BACKGROUND] * 3
    corpus = Corpus(
        titles=titles,
        abstracts=abstracts,
        author_keys=[[f"author{i % 7}"] for i in range(len(titles))],
        author_names=[[f"Author {i % 7}"] for i in range(len(titles))],
        featured=np.asarray([i % 5 == 0 for i in range(len(titles))]),
    )
    topics = [Interest(label=w.title(), keywords=w) for w in WORDS]
    subscribers = Subscribers(
        topics=[rng.sample(range(len(topics)), rng.randint(0, 3)) for _ in range(n)],
        personal=[
            Interest(label="you", keywords=rng.choice(WORDS), personal=True) if i % 3 else None
            for i in range(n)
        ],
        liked=[rng.sample(range(len(titles)), 2) if i % 4 == 0 else [] for i in range(n)],
        disliked=[rng.sample(range(len(titles)), 1) if i % 6 == 0 else [] for i in range(n)],
        excluded=[rng.choice(WORDS) if i % 5 == 0 else "" for i in range(n)],
        followed=[[f"author{i % 7}"] if i % 9 == 0 else [] for i in range(n)],
        blocked=[rng.sample(range(len(titles)), 3) for _ in range(n)],
    )
    return corpus, topics, subscribers


def test_ranking_in_chunks_and_threads_gives_the_single_shot_result() -> None:
    corpus, topics, subscribers = _population(101)
    engine = Engine(corpus, topics, subscribers)
    whole = engine.rank(k=5, chunk_size=1000)
    assert len(whole.paper) > 100  # the population really matches things
    for chunk_size, workers in ((7, 1), (1, 1), (16, 2)):
        chunked = Engine(corpus, topics, subscribers).rank(k=5, chunk_size=chunk_size, workers=workers)
        assert np.array_equal(chunked.subscriber, whole.subscriber)
        assert np.array_equal(chunked.paper, whole.paper)
        assert np.allclose(chunked.score, whole.score)
        assert chunked.why == whole.why
