"""Reads of the matching app: digest candidates, topic rankings, similar papers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from digest.matching.engine import Config, Subscribers
from digest.matching.models import Feedback, Match
from digest.matching.services import Loaded, corpus_load, topic_interest
from digest.papers.models import Paper, Topic
from subscriptions.models import Subscriber


@dataclass(frozen=True)
class Ranked:
    paper: Paper
    score: float
    why: str


def digest_candidates(*, subscriber: Subscriber, since: datetime, until: datetime, limit: int) -> list[Match]:
    """The subscriber's best matches made in [since, until): visible, above the relevance
    threshold, never already sent to them (in any digest), not disliked since; best first."""
    from digest.delivery.selectors import sent_paper_ids_queryset

    return list(
        Match.objects.filter(
            subscriber=subscriber,
            created_at__gte=since,
            created_at__lt=until,
            paper__hidden=False,
            score__gte=Config().threshold,
        )
        .exclude(paper_id__in=sent_paper_ids_queryset(subscriber.pk))
        .exclude(paper_id__in=Feedback.objects.filter(subscriber=subscriber, value__lt=0).values("paper_id"))
        .select_related("paper")
        .order_by("-score", "-paper__published_at", "paper_id")[:limit]
    )


def _papers(loaded: Loaded, rows: list[int]) -> dict[int, Paper]:
    ids = [loaded.paper_ids[r] for r in rows]
    return Paper.objects.in_bulk(ids)


def _window(since: datetime | None) -> list[int]:
    papers = Paper.objects.visible()
    if since is not None:
        papers = papers.filter(published_at__gte=since)
    return list(papers.latest_first().values_list("id", flat=True)[: settings.MATCH_MAX_PAPERS])


def topic_ranking(*, topic: Topic, since: datetime | None, limit: int) -> list[Ranked]:
    """The papers (published since `since`) a subscriber of this topic alone would get, best first.
    Uses the topic object as given, so an unsaved edit previews live."""
    from digest.matching.engine import Engine

    example_ids = list(topic.example_papers.values_list("id", flat=True)) if topic.pk else []
    loaded = corpus_load(candidate_ids=_window(since), reference_ids=example_ids)
    interest = topic_interest(
        topic, example_rows=[loaded.row_of[p] for p in example_ids if p in loaded.row_of]
    )
    # The topic's own examples are its definition, not news: leave them out of its ranking.
    blocked = [[loaded.row_of[p] for p in example_ids if p in loaded.row_of]]
    engine = Engine(loaded.corpus, [interest], Subscribers(topics=[[0]], blocked=blocked))
    ranking = engine.rank(k=limit)
    papers = _papers(loaded, ranking.paper.tolist())
    return [
        Ranked(paper=papers[loaded.paper_ids[p]], score=float(score), why=why)
        for p, score, why in zip(ranking.paper.tolist(), ranking.score.tolist(), ranking.why, strict=True)
        if loaded.paper_ids[p] in papers
    ]


def similar_papers(*, paper: Paper, limit: int = 5) -> list[Paper]:
    """Recent visible papers most like this one (lexical, plus semantic when embeddings exist)."""
    from digest.matching.engine import Engine

    window = [pk for pk in _window(None) if pk != paper.pk]
    loaded = corpus_load(candidate_ids=window, reference_ids=[paper.pk])
    if paper.pk not in loaded.row_of:
        return []
    engine = Engine(loaded.corpus, [], Subscribers(topics=[[]], liked=[[loaded.row_of[paper.pk]]]))
    ranking = engine.rank(k=limit)
    papers = _papers(loaded, ranking.paper.tolist())
    return [papers[loaded.paper_ids[p]] for p in ranking.paper.tolist() if loaded.paper_ids[p] in papers]
