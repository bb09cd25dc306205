"""From a prepared Delivery to the bytes of its message: context, subject, headers, MIME, DKIM."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryItem
from digest.emails import Rendered, dkim_sign_configured, email_mime_bytes, email_render
from digest.papers.models import Paper
from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, token_make

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


@functools.cache
def _paper_route() -> bool:
    try:
        reverse("paper-detail", args=[1])
    except NoReverseMatch:
        return False
    return True


def paper_url(paper: Paper) -> str:
    if _paper_route():
        return f"{settings.SITE_URL}{paper.get_absolute_url()}"
    return paper.abs_url or settings.SITE_URL


def _feedback_urls(subscriber: Subscriber, paper: Paper) -> tuple[str, str] | None:
    try:
        from digest.matching.links import feedback_urls
    except ImportError:
        return None
    return feedback_urls(subscriber=subscriber, paper=paper)


def view_url(delivery: Delivery) -> str:
    token = token_make(purpose=Purpose.VIEW_DIGEST, subscriber=delivery.subscriber, extra=str(delivery.pk))
    return f"{settings.SITE_URL}{reverse('delivery:view', args=[token])}"


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
    from subscriptions.links import manage_url, personal_feed_urls, unsubscribe_url

    subscriber = delivery.subscriber
    papers = []
    for item in items:
        paper = item.paper
        feedback = _feedback_urls(subscriber, paper)
        papers.append(
            {
                "title": " ".join(paper.title.split()),
                "url": paper_url(paper),
                "authors": authors_line(paper.author_names or []),
                "date": f"{paper.published_at:%-d %b %Y}",
                "snippet": snippet(paper.abstract),
                "why": item.why,
                "abs_url": paper.abs_url,
                "pdf_url": paper.pdf_url,
                "code_url": (paper.code_urls or [None])[0],
                "more_url": feedback[0] if feedback else None,
                "less_url": feedback[1] if feedback else None,
            }
        )
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
        "manage_url": manage_url(subscriber),
        "unsubscribe_url": unsubscribe_url(subscriber),
        "feed_url": personal_feed_urls(subscriber)[0],
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
