"""Reads behind the public pages and the feeds: bounded, prefetched querysets and cheap versions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from digest.db import server_bound_cursor
from digest.matching.selectors import Ranked, similar_papers, topic_ranking
from digest.papers.models import Author, Paper, PaperAuthor, Topic

SEARCH_MAX_TERMS = 8
TRENDING_WINDOW = timedelta(days=7)


def authorships_prefetch() -> Prefetch:
    return Prefetch("authorships", queryset=PaperAuthor.objects.select_related("author").order_by("position"))


def with_authors(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    """Author links need ids, so lists prefetch the ordered authorships in one extra query."""
    return papers.prefetch_related(authorships_prefetch())


def search_terms(q: str) -> list[str]:
    """Words and "quoted phrases" of a search box, capped so a pasted essay stays cheap."""
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', q)]
    return [term.strip() for term in terms if term.strip()][:SEARCH_MAX_TERMS]


def _term_q(term: str) -> Q:
    by_author = PaperAuthor.objects.filter(paper=OuterRef("pk"), author__name__icontains=term)
    return Q(title__icontains=term) | Q(abstract__icontains=term) | Q(Exists(by_author))


def topic_terms(topic: Topic) -> list[str]:
    return [term.strip().strip('"').strip() for term in topic.keyword_list if term.strip().strip('"').strip()]


def topic_lexical_q(topic: Topic) -> Q:
    """A paper belongs to a topic lexically when its title or abstract has one of its keywords."""
    q = Q(pk__in=[])
    for term in topic_terms(topic):
        q |= Q(title__icontains=term) | Q(abstract__icontains=term)
    return q


def papers_browse(
    *, q: str = "", topic: Topic | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Paper]:
    """The home page list: visible papers, newest first, narrowed by search, topic and dates.

    Plain `icontains` so it behaves the same on SQLite and PostgreSQL."""
    papers = Paper.objects.visible()
    for term in search_terms(q):
        papers = papers.filter(_term_q(term))
    if topic is not None:
        papers = papers.filter(topic_lexical_q(topic))
    tz = timezone.get_current_timezone()
    if date_from is not None:
        papers = papers.filter(published_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to is not None:
        papers = papers.filter(
            published_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    return papers.latest_first()


def trending_papers(*, limit: int = 5) -> list[Paper]:
    """The most upvoted papers of the week before the newest one (empty when no source gives upvotes)."""
    newest = Paper.objects.visible().filter(upvotes__isnull=False).aggregate(at=Max("published_at"))["at"]
    if newest is None:
        return []
    papers = (
        Paper.objects.visible()
        .filter(upvotes__gt=0, published_at__gte=newest - TRENDING_WINDOW)
        .order_by("-upvotes", "-published_at", "-id")
    )
    return list(with_authors(papers)[:limit])


def author_papers(*, author: Author, limit: int | None = None) -> QuerySet[Paper]:
    papers = with_authors(Paper.objects.visible().filter(authorships__author=author).latest_first())
    return papers[:limit] if limit else papers


TOPIC_RANKING_SIZE = 50
TOPIC_RANKING_TIMEOUT = 24 * 3600


def topic_recent(*, state: FeedState) -> list[Ranked]:
    """A topic's best recent papers as the matching engine ranks them, at most 50.

    Ranking reads the whole window of recent papers, so the result (ids, scores, reasons) is cached
    under the topic's version: the page and both feeds share one ranking until a paper or the topic
    changes."""
    topic: Topic = state.obj
    key = "feeds:topic-ranking:" + hashlib.sha256(state.version.encode()).hexdigest()[:40]
    cached = cache.get(key)
    if cached is None:
        ranked = topic_ranking(topic=topic, since=None, limit=TOPIC_RANKING_SIZE)
        cache.set(key, [(r.paper.pk, r.score, r.why) for r in ranked], TOPIC_RANKING_TIMEOUT)
        return ranked
    papers = Paper.objects.in_bulk([pk for pk, _, _ in cached])
    return [Ranked(paper=papers[pk], score=score, why=why) for pk, score, why in cached if pk in papers]


SIMILAR_SIZE = 5


def similar_recent(*, paper: Paper) -> list[Paper]:
    """`similar_papers` from the matching engine, cached until any paper changes (it compares the
    paper with the whole window of recent papers, which is too slow to redo on every page view)."""
    version = papers_state().version
    key = "pages:similar:" + hashlib.sha256(f"{paper.pk}|{version}".encode()).hexdigest()[:40]
    ids = cache.get(key)
    if ids is None:
        found = similar_papers(paper=paper, limit=SIMILAR_SIZE)
        cache.set(key, [p.pk for p in found], TOPIC_RANKING_TIMEOUT)
        return found
    papers = Paper.objects.visible().in_bulk(ids)
    return [papers[pk] for pk in ids if pk in papers]


# --- Feed versions ---------------------------------------------------------------------------------
# A feed's cache key and ETag come from ONE small aggregate query that also loads the feed's object,
# so a new, changed, hidden or deleted paper (or a new or re-scored match) changes the key at once:
# the cached feed is never stale, and an unchanged feed keeps its key.


@dataclass(frozen=True)
class FeedState:
    version: str
    last_modified: datetime | None
    obj: Any = None


def _stamp(*values: Any) -> str:
    return ":".join(
        "-" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v)) for v in values
    )


def _aware(value: Any) -> datetime | None:
    """Raw SQL on SQLite hands back strings or naive datetimes; make them comparable UTC datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _state(obj: Any, stamps: tuple[Any, ...], times: tuple[Any, ...]) -> FeedState:
    moments = [t for t in (_aware(v) for v in times) if t is not None]
    return FeedState(version=_stamp(*stamps), last_modified=max(moments) if moments else None, obj=obj)


# Each part is answered from an index, so the cost does not grow with the number of papers. Hiding,
# featuring, editing and merging papers all move `modified_at` (curation and ingest services); the
# hidden and featured counts (index scans over the few flagged rows) also catch a bulk flag change
# that did not.
# The flags are literals, not parameters: a prepared statement's generic plan cannot match a
# parameter against the partial indexes' `WHERE hidden` / `WHERE featured` and would count by
# scanning every paper.
_PAPERS_VERSION = (
    "(SELECT MAX(first_seen_at) FROM {paper}) AS v_seen, "
    "(SELECT MAX(modified_at) FROM {paper}) AS v_modified, "
    "(SELECT MAX(id) FROM {paper}) AS v_top, "
    "(SELECT COUNT(*) FROM {paper} WHERE hidden) AS v_hidden, "
    "(SELECT COUNT(*) FROM {paper} WHERE featured) AS v_featured"
)


def _papers_version_sql() -> str:
    return _PAPERS_VERSION.format(paper=Paper._meta.db_table)


def _version_row(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    # Prepared: planning the version query costs ten times running it, on every feed request.
    with server_bound_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def papers_state() -> FeedState:
    """The latest-papers feed depends on every visible paper."""
    row = _version_row("SELECT " + _papers_version_sql(), [])
    assert row is not None  # an aggregate always answers one row
    seen, modified, top, hidden, featured = row
    return _state(None, (seen, modified, top, hidden, featured), (seen, modified))


def topic_state(*, slug: str) -> FeedState | None:
    """The topic (its keywords define the feed, so they are read fresh) and the papers' version.

    A plain cursor rather than `raw()`: this is the whole cost of a cached or 304 answer."""
    examples = Topic.example_papers.through._meta.db_table
    # The ranking also reads the topic's example papers. (Embeddings need no part in the version: the
    # ranking embeds whatever it reads that lacks one, so they only change when papers do.)
    sql = (
        f"SELECT t.id, t.name, t.slug, t.description, t.keywords, t.created_at, {_papers_version_sql()}, "
        f"(SELECT COUNT(*) FROM {examples} e WHERE e.topic_id = t.id) AS v_examples, "
        f"(SELECT MAX(e.paper_id) FROM {examples} e WHERE e.topic_id = t.id) AS v_example_top "
        f"FROM {Topic._meta.db_table} t WHERE t.slug = %s"
    )
    row = _version_row(sql, [slug])
    if row is None:
        return None
    pk, name, slug, description, keywords, created_at = row[:6]
    seen, modified = row[6:8]
    topic = Topic(
        id=pk, name=name, slug=slug, description=description, keywords=keywords, created_at=created_at
    )
    definition = hashlib.sha1(f"{name}\n{description}\n{keywords}".encode()).hexdigest()[:12]
    return _state(topic, (pk, definition, *row[6:]), (seen, modified))


def author_state(*, pk: int) -> FeedState | None:
    sql = (
        f"SELECT au.*, MAX(p.first_seen_at) AS v_seen, MAX(p.modified_at) AS v_modified, "
        f"COUNT(p.id) AS v_n, MAX(p.id) AS v_top FROM {Author._meta.db_table} au "
        f"LEFT JOIN {PaperAuthor._meta.db_table} pa ON pa.author_id = au.id "
        f"LEFT JOIN {Paper._meta.db_table} p ON p.id = pa.paper_id AND p.hidden = %s "
        f"WHERE au.id = %s GROUP BY au.id"
    )
    author = next(iter(Author.objects.raw(sql, [False, pk])), None)
    if author is None:
        return None
    seen, modified = author.v_seen, author.v_modified
    return _state(
        author, (author.pk, author.name, seen, modified, author.v_n, author.v_top), (seen, modified)
    )


def personal_state(*, token: str) -> FeedState | None:
    """A subscriber's feed: the subscriber by token plus their matches' version. Unknown or rotated
    tokens, pending and unsubscribed people get None (a 404)."""
    from digest.matching.models import Match
    from subscriptions.models import Subscriber

    if not token or len(token) > 64:
        return None
    sql = (
        f"SELECT s.*, MAX(m.created_at) AS v_created, COUNT(p.id) AS v_n, MAX(m.id) AS v_top, "
        f"SUM(m.score) AS v_score, SUM(LENGTH(m.why)) AS v_why, MAX(p.modified_at) AS v_modified "
        f"FROM {Subscriber._meta.db_table} s "
        f"LEFT JOIN {Match._meta.db_table} m ON m.subscriber_id = s.id "
        f"LEFT JOIN {Paper._meta.db_table} p ON p.id = m.paper_id AND p.hidden = %s "
        f"WHERE s.feed_token = %s AND s.status NOT IN (%s, %s) GROUP BY s.id"
    )
    params = [False, token, Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED]
    subscriber = next(iter(Subscriber.objects.raw(sql, params)), None)
    if subscriber is None:
        return None
    created, modified = subscriber.v_created, subscriber.v_modified
    score = round(subscriber.v_score or 0.0, 6)
    return _state(
        subscriber,
        (subscriber.pk, created, modified, subscriber.v_n, subscriber.v_top, score, subscriber.v_why),
        (created, modified),
    )
