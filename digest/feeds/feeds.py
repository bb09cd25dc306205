"""What each feed contains: the ORM side that turns a `FeedState` into a `FeedMeta` to render.

Each builder runs a fixed number of queries whatever the feed's size (entries use the paper's
`author_names`, so no per-entry author query)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from digest.feeds.render import MAX_ENTRIES, FeedEntry, FeedMeta
from digest.feeds.selectors import FeedState, topic_recent
from digest.matching.links import feedback_urls
from digest.papers.models import Paper

# A fixed date in the tag URI keeps every GUID identical for ever, whatever the paper's URL becomes.
TAG_DATE = "2024"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def paper_guid(paper: Paper) -> str:
    return f"tag:{site_host()},{TAG_DATE}:paper:{paper.key}"


def feed_id(kind: str, ident: str = "") -> str:
    return f"tag:{site_host()},{TAG_DATE}:feed:{kind}" + (f":{ident}" if ident else "")


@dataclass(frozen=True)
class FeedContext:
    """Where the feed is served from: links in it point back at the same site the reader used."""

    base_url: str
    self_url: str

    def absolute(self, path: str) -> str:
        return self.base_url + path


def paper_entry(
    paper: Paper, ctx: FeedContext, *, notes: Iterable[str] = (), actions: Iterable[tuple[str, str]] = ()
) -> FeedEntry:
    published = paper.published_at
    return FeedEntry(
        guid=paper_guid(paper),
        title=paper.title,
        link=ctx.absolute(paper.get_absolute_url()),
        authors=list(paper.author_names or []),
        published=published,
        updated=max(d for d in (published, paper.updated_at, paper.modified_at) if d is not None),
        categories=paper.category_list,
        abstract=paper.abstract,
        notes=list(notes),
        actions=list(actions),
    )


def _updated(state: FeedState) -> datetime:
    return state.last_modified or EPOCH


def latest_feed(state: FeedState, ctx: FeedContext) -> FeedMeta:
    papers = list(Paper.objects.visible().latest_first()[:MAX_ENTRIES])
    return FeedMeta(
        id=feed_id("latest"),
        title=f"{settings.SITE_NAME}: latest papers",
        subtitle="The newest research papers, as they arrive.",
        html_url=ctx.absolute(reverse("home")),
        self_url=ctx.self_url,
        author=settings.SITE_NAME,
        updated=_updated(state),
        entries=[paper_entry(p, ctx) for p in papers],
    )


def topic_feed(state: FeedState, ctx: FeedContext) -> FeedMeta:
    topic = state.obj
    ranked = topic_recent(state=state)[:MAX_ENTRIES]
    return FeedMeta(
        id=feed_id("topic", topic.slug),
        title=f"{settings.SITE_NAME}: {topic.name}",
        subtitle=topic.description or f"Recent papers about {topic.name}.",
        html_url=ctx.absolute(topic.get_absolute_url()),
        self_url=ctx.self_url,
        author=settings.SITE_NAME,
        updated=_updated(state),
        entries=[paper_entry(r.paper, ctx, notes=[r.why] if r.why else []) for r in ranked],
    )


def author_feed(state: FeedState, ctx: FeedContext) -> FeedMeta:
    author = state.obj
    papers = list(Paper.objects.visible().filter(authorships__author=author).latest_first()[:MAX_ENTRIES])
    return FeedMeta(
        id=feed_id("author", str(author.pk)),
        title=f"{settings.SITE_NAME}: papers by {author.name}",
        subtitle=f"New papers with {author.name} among the authors.",
        html_url=ctx.absolute(author.get_absolute_url()),
        self_url=ctx.self_url,
        author=settings.SITE_NAME,
        updated=_updated(state),
        entries=[paper_entry(p, ctx) for p in papers],
    )


def personal_feed(state: FeedState, ctx: FeedContext) -> FeedMeta:
    """A subscriber's matches, newest first then best first, with why each matched and one-click
    feedback links."""
    from digest.matching.models import Match

    subscriber = state.obj
    matches = list(
        Match.objects.filter(subscriber=subscriber, paper__hidden=False)
        .select_related("paper")
        .order_by("-created_at", "-score", "-id")[:MAX_ENTRIES]
    )
    entries = []
    for match in matches:
        more, less = feedback_urls(subscriber=subscriber, paper=match.paper)
        actions = [("More like this", more), ("Less like this", less)]
        notes = [f"Why: {match.why}"] if match.why else []
        entries.append(paper_entry(match.paper, ctx, notes=notes, actions=actions))
    return FeedMeta(
        id=feed_id("personal", str(subscriber.pk)),
        title=f"{settings.SITE_NAME}: your matches",
        subtitle="Papers picked for you. This address is private: do not share it.",
        html_url=ctx.absolute(reverse("home")),
        self_url=ctx.self_url,
        author=settings.SITE_NAME,
        updated=_updated(state),
        entries=entries,
    )
