"""From a prepared Delivery to the bytes of its message: context, subject, headers, MIME, DKIM."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryItem
from digest.emails import Rendered, SharedText, dkim_sign_configured, email_mime_bytes, email_render
from digest.papers.models import Paper
from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, token_make, tokens_make

SNIPPET_CHARS = 280  # about three lines of the 600 px layout
MAX_AUTHORS = 6
LIST_ID_MAX_OCTETS = 255


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
    return f"{cut}…"


def authors_line(names: Sequence[str]) -> str:
    if len(names) <= MAX_AUTHORS:
        return ", ".join(names)
    return ", ".join(names[:MAX_AUTHORS]) + " et al."


# --- Links ---------------------------------------------------------------------------------------
# A digest carries about 25 signed absolute links. `reverse()` costs more than the whole template
# fill, so routes are resolved once into (prefix, suffix) pieces. The links are the same as those
# of `subscriptions.links` and `digest.matching.links` (a test compares them).

# Digits pass both the int and the str path converters.
_ARG = "98765432"
_ARG_SPLIT = re.compile(rf"{_ARG}\d{_ARG}")
_SAFE_ARG = re.compile(r"^[A-Za-z0-9_:.-]+$")


@functools.cache
def _route(name: str, nargs: int) -> tuple[str, ...] | None:
    try:
        path = reverse(name, args=[f"{_ARG}{i}{_ARG}" for i in range(nargs)])
    except NoReverseMatch:
        return None  # no such route, or converters the markers do not fit: reverse() every time
    pieces = _ARG_SPLIT.split(path)
    return (f"{settings.SITE_URL}{pieces[0]}", *pieces[1:])


def route_url(name: str, *args: str | int) -> str | None:
    """The absolute URL of route `name`; None if the route does not exist (an app not mounted)."""
    pieces = _route(name, len(args))
    if pieces is not None and len(args) == 1:
        text = str(args[0])
        if _SAFE_ARG.match(text):
            return f"{pieces[0]}{text}{pieces[1]}"
    texts = [str(arg) for arg in args]
    if pieces is None or not all(_SAFE_ARG.match(text) for text in texts):
        try:
            return f"{settings.SITE_URL}{reverse(name, args=texts)}"
        except NoReverseMatch:
            return None
    out = [pieces[0]]
    for text, piece in zip(texts, pieces[1:], strict=True):
        out.append(text)
        out.append(piece)
    return "".join(out)


def feedback_url_pairs(
    subscriber: Subscriber, paper_ids: Sequence[int]
) -> list[tuple[str | None, str | None]]:
    """("More like this", "Less like this") URLs per paper, each pair with its own signed token."""
    tokens = tokens_make(
        purpose=Purpose.FEEDBACK, subscriber=subscriber, extras=[str(pk) for pk in paper_ids]
    )
    pieces = _route("matching:feedback", 2)
    if pieces is None:
        return [
            (route_url("matching:feedback", t, "more"), route_url("matching:feedback", t, "less"))
            for t in tokens
        ]
    # Signed tokens are URL-safe by construction (base64url and ":"), so route_url's check of each
    # argument is not needed here.
    head, middle, tail = pieces
    return [(f"{head}{t}{middle}more{tail}", f"{head}{t}{middle}less{tail}") for t in tokens]


def paper_url(paper: Paper) -> str:
    return route_url("paper-detail", paper.pk) or paper.abs_url or settings.SITE_URL


def view_url(delivery: Delivery) -> str:
    token = token_make(purpose=Purpose.VIEW_DIGEST, subscriber=delivery.subscriber, extra=str(delivery.pk))
    return route_url("delivery:view", token) or settings.SITE_URL


# Static parts of a paper's entry, shared by every digest it appears in during this process (and
# HTML-escaped once, as SharedText).
_PAPER_CACHE: dict[tuple[int, object], dict[str, object]] = {}
_PAPER_CACHE_MAX = 20000


def _shared(text: str | None) -> SharedText | None:
    return None if text is None else SharedText(text)


def _paper_entry(paper: Paper) -> dict[str, object]:
    key = (paper.pk, paper.modified_at)
    entry = _PAPER_CACHE.get(key)
    if entry is None:
        if len(_PAPER_CACHE) >= _PAPER_CACHE_MAX:
            _PAPER_CACHE.clear()
        entry = {
            "title": _shared(" ".join(paper.title.split())),
            "url": _shared(paper_url(paper)),
            "authors": _shared(authors_line(paper.author_names or [])),
            "date": _shared(f"{paper.published_at:%-d %b %Y}"),
            "snippet": _shared(snippet(paper.abstract)),
            "abs_url": _shared(paper.abs_url),
            "pdf_url": _shared(paper.pdf_url),
            "code_url": _shared((paper.code_urls or [None])[0]),
        }
        _PAPER_CACHE[key] = entry
    return entry


def _topic_names(subscriber: Subscriber) -> list[str]:
    cache = getattr(subscriber, "_prefetched_objects_cache", {})
    topics = cache.get("topics")
    if topics is None:
        topics = subscriber.topics.all()
    return [topic.name for topic in topics]


def top_topics(subscriber: Subscriber, items: Sequence[DeliveryItem], n: int = 2) -> list[str]:
    """The subscriber's topics and keywords the most papers matched (as the "why" names them),
    else the commonest arXiv categories."""
    counts: Counter[str] = Counter()
    names = _topic_names(subscriber) + [term.strip('"') for term in subscriber.keyword_list]
    for item in items:
        why = item.why.casefold()
        for name in names:
            if name.casefold() in why:
                counts[name] += 1
    if counts:
        return [name for name, _ in counts.most_common(n)]
    from digest.matching.arxiv_taxonomy import category_name

    categories = Counter(item.paper.primary_category for item in items if item.paper.primary_category)
    return [category_name(code) for code, _ in categories.most_common(n)]


def digest_subject(count: int, topics: Sequence[str]) -> str:
    papers = f"{count} new paper{'s' if count != 1 else ''}"
    return f"{papers} on {' and '.join(topics)}" if topics else f"{papers} for you"


def digest_context(
    *, delivery: Delivery, items: Sequence[DeliveryItem], for_browser: bool = False
) -> dict[str, object]:
    subscriber = delivery.subscriber
    feedback = feedback_url_pairs(subscriber, [item.paper_id for item in items])
    papers = [
        {**_paper_entry(item.paper), "why": item.why, "more_url": more, "less_url": less}
        for item, (more, less) in zip(items, feedback, strict=True)
    ]
    topics = top_topics(subscriber, items)
    count = len(papers)
    subject = digest_subject(count, topics)
    since = timezone.localtime(delivery.covers_since, timezone.get_fixed_timezone(0))
    joined = subscriber.confirmed_at or subscriber.created_at
    return {
        "subject": subject,
        "preheader": f"{papers[0]['title']}" + (f" and {count - 1} more" if count > 1 else "")
        if papers
        else "",
        "papers": papers,
        "count": count,
        "topics": topics,
        "since": f"{since:%-d %b %Y}",
        "frequency": subscriber.frequency,
        "manage_url": route_url(
            "subscriptions:manage", token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
        ),
        "unsubscribe_url": route_url(
            "subscriptions:unsubscribe", token_make(purpose=Purpose.UNSUBSCRIBE, subscriber=subscriber)
        ),
        "feed_url": route_url("feed-personal-rss", subscriber.feed_token),
        "view_url": None if for_browser else view_url(delivery),
        "why_text": (
            f"You get this {subscriber.frequency} digest because {subscriber.email} subscribed to "
            f"{settings.SITE_NAME} on {joined:%-d %b %Y} and confirmed it."
        ),
    }


def list_id() -> str:
    domain = f"digest.{settings.DELIVERY_LIST_ID_DOMAIN}"
    label = settings.SITE_NAME.replace('"', "'").replace("\\", "")
    value = f'"{label}" <{domain}>'
    if len(value.encode("utf-8")) > LIST_ID_MAX_OCTETS:
        value = f"<{domain[: LIST_ID_MAX_OCTETS - 2]}>"
    return value


def digest_headers(*, delivery: Delivery, unsubscribe: str) -> list[tuple[str, str]]:
    targets = [f"<{unsubscribe}>"]
    if settings.DELIVERY_UNSUBSCRIBE_MAILTO:
        token = unsubscribe.rstrip("/").rsplit("/", 1)[-1]
        targets.append(
            f"<mailto:{settings.DELIVERY_UNSUBSCRIBE_MAILTO}?subject={quote('unsubscribe ' + token)}>"
        )
    headers = [
        ("List-Id", list_id()),
        ("List-Unsubscribe", ", ".join(targets)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        (
            "Feedback-ID",
            f"{delivery.period:%Y%m%d}:{delivery.subscriber.frequency}:digest:{settings.DELIVERY_FEEDBACK_ID_SENDER}",
        ),
    ]
    if settings.REPLY_TO_EMAIL:
        headers.insert(0, ("Reply-To", settings.REPLY_TO_EMAIL))
    return headers


def digest_render(
    *, delivery: Delivery, items: Sequence[DeliveryItem], for_browser: bool = False
) -> tuple[Rendered, dict[str, object]]:
    context = digest_context(delivery=delivery, items=items, for_browser=for_browser)
    text_only = delivery.subscriber.email_format == Subscriber.EmailFormat.TEXT and not for_browser
    return email_render(name="digest", context=context, text_only=text_only), context


def digest_message_bytes(*, delivery: Delivery, items: Sequence[DeliveryItem]) -> tuple[bytes, str]:
    """The signed message of one digest and its subject."""
    rendered, context = digest_render(delivery=delivery, items=items)
    raw = email_mime_bytes(
        rendered=rendered,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=delivery.subscriber.email,
        message_id=delivery.message_id,
        headers=digest_headers(delivery=delivery, unsubscribe=str(context["unsubscribe_url"])),
    )
    return dkim_sign_configured(raw), rendered.subject
