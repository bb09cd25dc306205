"""Writes of the matching app: embeddings, Match rows, feedback.

The engine (`engine.py`) is pure; this module loads what it needs from the database in a bounded
number of queries, runs it, and stores the outcome.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from digest.db import server_bound_cursor
from digest.matching import embeddings
from digest.matching.engine import Config, Corpus, Engine, Interest, Ranking, Subscribers
from digest.matching.models import Feedback, Match, PaperEmbedding, ProcessedPaper
from digest.papers.models import Paper, PaperAuthor, Topic
from subscriptions.models import Subscriber

logger = logging.getLogger(__name__)

PAPER_FIELDS = ("id", "title", "abstract", "featured", "hidden", "author_names")


def semantic_enabled() -> bool:
    return bool(settings.MATCH_SEMANTIC) and embeddings.available()


# --- embeddings --------------------------------------------------------------------------------


def embeddings_ensure(*, paper_ids: Sequence[int], batch_size: int = 256) -> int:
    """Embed the papers that have no embedding yet (once per paper); returns how many were added.
    Does nothing without the semantic extra."""
    if not semantic_enabled() or not paper_ids:
        return 0
    done = set(PaperEmbedding.objects.filter(paper_id__in=paper_ids).values_list("paper_id", flat=True))
    missing = [pk for pk in paper_ids if pk not in done]
    added = 0
    for start in range(0, len(missing), batch_size):
        papers = list(
            Paper.objects.filter(pk__in=missing[start : start + batch_size]).only("id", "title", "abstract")
        )
        vectors = embeddings.encode([embeddings.paper_text(p.title, p.abstract) for p in papers])
        PaperEmbedding.objects.bulk_create(
            [
                PaperEmbedding(paper_id=p.pk, model=embeddings.MODEL_NAME, vector=embeddings.to_bytes(v))
                for p, v in zip(papers, vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
        added += len(papers)
    return added


def text_embedding(text: str) -> np.ndarray | None:
    """A cached embedding of an interest's text (topics and keywords change rarely)."""
    if not text.strip() or not semantic_enabled():
        return None
    key = f"matching:text-embedding:{embeddings.MODEL_NAME}:{hashlib.sha1(text.encode()).hexdigest()}"
    cached = cache.get(key)
    if cached is not None:
        return embeddings.from_bytes(cached)
    vector = embeddings.encode([text])[0]
    cache.set(key, embeddings.to_bytes(vector), timeout=30 * 24 * 3600)
    return vector


# --- loading engine input ----------------------------------------------------------------------


@dataclass
class Loaded:
    """A corpus plus the id <-> row maps the service needs to turn rows back into papers."""

    corpus: Corpus
    paper_ids: list[int]
    row_of: dict[int, int]
    titles: dict[int, str] = field(default_factory=dict)


def corpus_load(*, candidate_ids: Sequence[int], reference_ids: Iterable[int] = ()) -> Loaded:
    """Candidates first (they may be recommended), then reference papers (examples, liked, disliked)."""
    candidate_ids = list(dict.fromkeys(candidate_ids))
    candidate_set = set(candidate_ids)
    extra = [pk for pk in dict.fromkeys(reference_ids) if pk not in candidate_set]
    rows = {p["id"]: p for p in Paper.objects.filter(pk__in=candidate_ids + extra).values(*PAPER_FIELDS)}
    candidates = [pk for pk in candidate_ids if pk in rows]
    ordered = candidates + [pk for pk in extra if pk in rows]
    author_keys: dict[int, list[str]] = defaultdict(list)
    author_names: dict[int, list[str]] = defaultdict(list)
    for paper_id, match_key, name in (
        PaperAuthor.objects.filter(paper_id__in=ordered)
        .order_by("paper_id", "position")
        .values_list("paper_id", "author__match_key", "author__name")
    ):
        author_keys[paper_id].append(match_key)
        author_names[paper_id].append(name)
    vectors = None
    if semantic_enabled() and ordered:
        embeddings_ensure(paper_ids=ordered)
        stored = dict(PaperEmbedding.objects.filter(paper_id__in=ordered).values_list("paper_id", "vector"))
        vectors = np.zeros((len(ordered), embeddings.DIMENSIONS), dtype=np.float32)
        for i, pk in enumerate(ordered):
            if pk in stored:
                vectors[i] = embeddings.from_bytes(stored[pk])
    corpus = Corpus(
        titles=[rows[pk]["title"] for pk in ordered],
        abstracts=[rows[pk]["abstract"] for pk in ordered],
        author_keys=[author_keys[pk] for pk in ordered],
        author_names=[author_names[pk] for pk in ordered],
        n_candidates=len(candidates),
        featured=np.asarray([rows[pk]["featured"] for pk in ordered], dtype=bool),
        hidden=np.asarray([rows[pk]["hidden"] for pk in ordered], dtype=bool),
        embeddings=vectors,
    )
    return Loaded(corpus, ordered, {pk: i for i, pk in enumerate(ordered)})


def topic_interest(topic: Topic, *, example_rows: Sequence[int] = ()) -> Interest:
    text = "\n".join(part for part in (topic.name, topic.description, topic.keywords) if part)
    return Interest(
        label=topic.name,
        name=topic.name,
        text=topic.description,
        keywords=topic.keywords,
        examples=tuple(example_rows),
        embedding=text_embedding(text),
    )


def keywords_interest(keywords: str, *, label: str = "your keywords") -> Interest | None:
    if not keywords.strip():
        return None
    return Interest(label=label, keywords=keywords, embedding=text_embedding(keywords), personal=True)


@dataclass
class Profiles:
    subscribers: list[Subscriber]
    topics: list[Topic]
    topic_examples: dict[int, list[int]]
    liked: dict[int, list[int]]
    disliked: dict[int, list[int]]
    followed: dict[int, list[str]]

    def reference_ids(self) -> set[int]:
        ids = {pk for items in self.topic_examples.values() for pk in items}
        ids |= {pk for items in self.liked.values() for pk in items}
        ids |= {pk for items in self.disliked.values() for pk in items}
        return ids


def profiles_load(*, subscriber_ids: Sequence[int]) -> Profiles:
    subscribers = list(Subscriber.objects.filter(pk__in=subscriber_ids).order_by("pk"))
    ids = [s.pk for s in subscribers]
    topic_links = defaultdict(list)
    for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
        subscriber_id__in=ids
    ).values_list("subscriber_id", "topic_id"):
        topic_links[subscriber_id].append(topic_id)
    topics = list(
        Topic.objects.filter(pk__in={t for items in topic_links.values() for t in items}).order_by("pk")
    )
    topic_examples: dict[int, list[int]] = defaultdict(list)
    for topic_id, paper_id in Topic.example_papers.through.objects.filter(
        topic_id__in=[t.pk for t in topics]
    ).values_list("topic_id", "paper_id"):
        topic_examples[topic_id].append(paper_id)
    liked: dict[int, list[int]] = defaultdict(list)
    disliked: dict[int, list[int]] = defaultdict(list)
    for subscriber_id, paper_id in Subscriber.example_papers.through.objects.filter(
        subscriber_id__in=ids
    ).values_list("subscriber_id", "paper_id"):
        liked[subscriber_id].append(paper_id)
    for subscriber_id, paper_id, value in Feedback.objects.filter(subscriber_id__in=ids).values_list(
        "subscriber_id", "paper_id", "value"
    ):
        (liked if value > 0 else disliked)[subscriber_id].append(paper_id)
    followed: dict[int, list[str]] = defaultdict(list)
    for subscriber_id, match_key in Subscriber.followed_authors.through.objects.filter(
        subscriber_id__in=ids
    ).values_list("subscriber_id", "author__match_key"):
        followed[subscriber_id].append(match_key)
    for subscriber in subscribers:
        subscriber.topic_ids = topic_links[subscriber.pk]  # type: ignore[attr-defined]
    return Profiles(subscribers, topics, topic_examples, liked, disliked, followed)


def _sent(subscriber_ids: Sequence[int], paper_ids: Sequence[int]) -> dict[int, set[int]]:
    """Papers already sent to each subscriber, among `paper_ids` (never twice, in any digest)."""
    from digest.delivery.selectors import sent_paper_ids_many

    return sent_paper_ids_many(subscriber_ids=subscriber_ids, paper_ids=paper_ids)


def engine_for(
    *,
    profiles: Profiles,
    loaded: Loaded,
    blocked: dict[int, set[int]] | None = None,
    config: Config | None = None,
) -> Engine:
    row_of = loaded.row_of
    position = {topic.pk: i for i, topic in enumerate(profiles.topics)}
    interests = [
        topic_interest(
            topic, example_rows=[row_of[p] for p in profiles.topic_examples[topic.pk] if p in row_of]
        )
        for topic in profiles.topics
    ]
    subs = profiles.subscribers
    blocked = blocked or {}
    rows = lambda ids: [row_of[p] for p in ids if p in row_of]  # noqa: E731
    subscribers = Subscribers(
        topics=[[position[t] for t in s.topic_ids] for s in subs],  # type: ignore[attr-defined]
        personal=[keywords_interest(s.keywords) for s in subs],
        liked=[rows(profiles.liked[s.pk]) for s in subs],
        disliked=[rows(profiles.disliked[s.pk]) for s in subs],
        excluded=[s.excluded_terms for s in subs],
        followed=[profiles.followed[s.pk] for s in subs],
        # Papers they already got, and papers they told us about, are never offered again.
        blocked=[
            rows(blocked.get(s.pk, set()) | set(profiles.liked[s.pk]) | set(profiles.disliked[s.pk]))
            for s in subs
        ],
    )
    return Engine(loaded.corpus, interests, subscribers, config)


def _store(*, engine: Engine, ranking: Ranking, profiles: Profiles, loaded: Loaded, replace: bool) -> int:
    subs = profiles.subscribers
    subscriber_ids = [subs[s].pk for s in ranking.subscriber.tolist()]
    paper_ids = [loaded.paper_ids[p] for p in ranking.paper.tolist()]
    scores = ranking.score.astype(float).tolist()
    with transaction.atomic():
        if replace:
            # Re-ranking: a candidate that no longer qualifies (disliked, excluded) loses its row,
            # unless it was already sent (its Match is the record of why it was sent).
            candidates = loaded.paper_ids[: loaded.corpus.n_candidates]
            keep = set(zip(subscriber_ids, paper_ids, strict=True))
            sent = _sent([s.pk for s in subs], candidates)
            stale = [
                pk
                for pk, sid, pid in Match.objects.filter(
                    subscriber_id__in=[s.pk for s in subs], paper_id__in=candidates
                ).values_list("pk", "subscriber_id", "paper_id")
                if (sid, pid) not in keep and pid not in sent[sid]
            ]
            Match.objects.filter(pk__in=stale).delete()
        _matches_upsert(subscriber_ids, paper_ids, scores, ranking.why, timezone.now())
    return len(paper_ids)


def _matches_upsert(
    subscriber_ids: list[int], paper_ids: list[int], scores: list[float], whys: list[str], now: datetime
) -> None:
    """Insert or update (score, why) Match rows, given as parallel columns."""
    if connection.vendor == "postgresql":
        # A run writes MATCH_PER_RUN rows per subscriber: as four binary array parameters the rows
        # cost the client almost nothing, where model instances cost more than the ranking itself.
        with server_bound_cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Match._meta.db_table} (subscriber_id, paper_id, score, why, created_at)
                SELECT s, p, score, why, %b
                FROM unnest(%b::bigint[], %b::bigint[], %b::float8[], %b::varchar[]) AS r(s, p, score, why)
                ON CONFLICT (subscriber_id, paper_id) DO UPDATE SET score = EXCLUDED.score, why = EXCLUDED.why
                """,
                [now, subscriber_ids, paper_ids, scores, whys],
            )
        return
    Match.objects.bulk_create(
        [
            Match(subscriber_id=s, paper_id=p, score=score, why=why, created_at=now)
            for s, p, score, why in zip(subscriber_ids, paper_ids, scores, whys, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["subscriber", "paper"],
        update_fields=["score", "why"],
        batch_size=1000,
    )


# --- the services other apps call --------------------------------------------------------------


def matches_write(*, subscriber_ids: Sequence[int], paper_ids: Sequence[int], replace: bool = False) -> int:
    """Rank `paper_ids` for these subscribers and store the winners as Match rows (idempotent:
    a second run updates the same rows). Returns how many rows were written."""
    profiles = profiles_load(subscriber_ids=subscriber_ids)
    if not profiles.subscribers or not paper_ids:
        return 0
    # Recent papers join as references so that term statistics (idf, lengths) reflect a normal
    # day even when the batch of new papers is small or all about one thing.
    statistics = recent_paper_ids() if len(paper_ids) < settings.MATCH_MAX_PAPERS else []
    loaded = corpus_load(candidate_ids=paper_ids, reference_ids=[*profiles.reference_ids(), *statistics])
    candidates = loaded.paper_ids[: loaded.corpus.n_candidates]
    blocked = _sent([s.pk for s in profiles.subscribers], candidates)
    engine = engine_for(profiles=profiles, loaded=loaded, blocked=blocked)
    ranking = engine.rank(k=settings.MATCH_PER_RUN, chunk_size=len(profiles.subscribers))
    return _store(engine=engine, ranking=ranking, profiles=profiles, loaded=loaded, replace=replace)


def recent_paper_ids(*, days: int | None = None) -> list[int]:
    since = timezone.now() - timedelta(days=days or settings.MATCH_REFRESH_DAYS)
    return list(
        Paper.objects.visible()
        .filter(first_seen_at__gte=since)
        .order_by("-first_seen_at", "-id")
        .values_list("id", flat=True)[: settings.MATCH_MAX_PAPERS]
    )


def matches_refresh(*, subscriber_ids: list[int]) -> None:
    """Re-rank recent unsent papers for these subscribers, e.g. after their interests or feedback
    changed. Only active subscribers get matches."""
    active = list(Subscriber.objects.active().filter(pk__in=subscriber_ids).values_list("pk", flat=True))
    if active:
        matches_write(subscriber_ids=active, paper_ids=recent_paper_ids(), replace=True)


def papers_claim_new() -> list[int]:
    """Mark the visible papers no run has processed yet and return their ids (newest first, at
    most MATCH_MAX_PAPERS; older ones are marked without ranking, they are past digest age)."""
    with transaction.atomic():
        fresh = list(
            Paper.objects.filter(hidden=False)
            .exclude(pk__in=ProcessedPaper.objects.values("paper_id"))
            .order_by("-first_seen_at", "-id")
            .values_list("id", flat=True)
        )
        ProcessedPaper.objects.bulk_create(
            [ProcessedPaper(paper_id=pk) for pk in fresh], ignore_conflicts=True, batch_size=2000
        )
    return fresh[: settings.MATCH_MAX_PAPERS]


def feedback_record(*, subscriber: Subscriber, paper: Paper, value: int) -> Feedback:
    """A "more like this" (+1) or "less like this" (-1) click; the latest click wins. The
    subscriber's matches are re-ranked after commit so the next digest reflects it."""
    if value not in (1, -1):
        raise ValueError("feedback is +1 or -1")
    feedback, _ = Feedback.objects.update_or_create(
        subscriber=subscriber, paper=paper, defaults={"value": value, "created_at": timezone.now()}
    )
    from digest.matching.tasks import matches_refresh_task

    matches_refresh_task.delay_on_commit([subscriber.pk])
    return feedback
