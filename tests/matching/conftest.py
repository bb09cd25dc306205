"""Matching tests run lexically unless they ask for the semantic extra (test_semantic_extra.py), so
the suite is fast and identical with or without it installed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from digest.matching.engine import Config, Corpus, Interest, Ranking, Subscribers, rank


@pytest.fixture(autouse=True)
def _lexical(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.MATCH_SEMANTIC = False  # type: ignore[attr-defined]
    # A celery worker started by the test inherits the environment.
    monkeypatch.setenv("MATCH_SEMANTIC", "0")
    yield


Paper = tuple[str, str]  # (title, abstract)


def rank_one(
    papers: Sequence[Paper],
    *,
    keywords: str = "",
    topics: Sequence[Interest] = (),
    k: int = 10,
    config: Config | None = None,
    corpus_extra: dict[str, object] | None = None,
    **profile: object,
) -> list[tuple[int, float, str]]:
    """Rank `papers` for one subscriber; returns [(paper position, score, why)] best first."""
    corpus = Corpus(
        titles=[t for t, _ in papers],
        abstracts=[a for _, a in papers],
        **(corpus_extra or {}),  # type: ignore[arg-type]
    )
    personal = Interest(label="your keywords", keywords=keywords, personal=True) if keywords else None
    subscribers = Subscribers(
        topics=[list(range(len(topics)))],
        personal=[personal],
        **{name: [value] for name, value in profile.items()},  # type: ignore[arg-type]
    )
    ranking: Ranking = rank(corpus, list(topics), subscribers, k=k, config=config)
    return ranking.for_subscriber(0)


@pytest.fixture
def ranked() -> Callable[..., list[tuple[int, float, str]]]:
    return rank_one
