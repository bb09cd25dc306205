"""Reads for the subscription pages and services."""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.db.models import Q

from digest.papers.models import Author, Paper, Topic
from subscriptions.models import Subscriber


def subscriber_by_email(*, email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email__iexact=email).first()


def topics_for_form() -> list[Topic]:
    return list(Topic.objects.order_by("name"))


MAX_AUTHORS_PER_NAME = 20


def authors_resolve(*, names: list[str]) -> tuple[list[Author], list[str]]:
    """Resolve typed names to Author rows through their `match_key` (surname and first initial, the
    ingest normaliser's key), so "Y. LeCun", "Yann LeCun" and "LeCun, Yann" all follow the same
    people, whatever accents or case. A bare surname follows every initial, up to a bound.

    Returns (authors, names nobody in our papers has)."""
    from digest.ingest.normalise import author_match_key

    found: dict[int, Author] = {}
    unknown: list[str] = []
    for name in names:
        key = author_match_key(name)
        if " " in key:
            hits = Author.objects.filter(match_key=key)
        else:
            hits = Author.objects.filter(Q(match_key=key) | Q(match_key__startswith=f"{key} "))
        authors = list(hits.order_by("name")[:MAX_AUTHORS_PER_NAME])
        if authors:
            found.update((author.pk, author) for author in authors)
        else:
            unknown.append(name)
    return sorted(found.values(), key=lambda author: author.name), unknown


_ARXIV_RE = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:)?(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?$", re.I)
_PAPER_PATH_RE = re.compile(r"/papers?/(\d{1,18})/?$")


def papers_resolve(*, refs: list[str]) -> tuple[list[Paper], list[str]]:
    """Resolve arXiv ids/links and links to our own paper pages. Returns (papers, unresolved refs)."""
    papers: dict[int, Paper] = {}
    unknown: list[str] = []
    for ref in refs:
        ref = ref.strip().strip("<>")
        paper = None
        arxiv = _ARXIV_RE.search(ref)
        if arxiv:
            paper = Paper.objects.filter(arxiv_id=arxiv.group(1)).first()
        else:
            local = _PAPER_PATH_RE.search(ref)
            if local:
                paper = Paper.objects.filter(pk=int(local.group(1))).first()
        if paper is None:
            unknown.append(ref)
        else:
            papers[paper.pk] = paper
    return list(papers.values()), unknown


def subscriber_export(*, subscriber: Subscriber) -> dict[str, Any]:
    """Everything stored about one subscriber, for "download my data"."""

    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    data: dict[str, Any] = {
        "email": subscriber.email,
        "pending_email": subscriber.pending_email or None,
        "status": subscriber.status,
        "status_reason": subscriber.status_reason or None,
        "created_at": when(subscriber.created_at),
        "confirmed_at": when(subscriber.confirmed_at),
        "paused_at": when(subscriber.paused_at),
        "unsubscribed_at": when(subscriber.unsubscribed_at),
        "schedule": {
            "frequency": subscriber.frequency,
            "weekday": subscriber.weekday,
            "send_hour": subscriber.send_hour,
            "timezone": subscriber.timezone,
            "papers_per_digest": subscriber.papers_per_digest,
            "email_format": subscriber.email_format,
        },
        "interests": {
            "topics": [{"name": t.name, "slug": t.slug} for t in subscriber.topics.order_by("name")],
            "keywords": subscriber.keyword_list,
            "not_interested_in": subscriber.excluded_list,
            "followed_authors": [a.name for a in subscriber.followed_authors.order_by("name")],
            "example_papers": [
                {"title": p.title, "arxiv_id": p.arxiv_id} for p in subscriber.example_papers.order_by("id")
            ],
        },
        "consent": {
            "at": when(subscriber.consent_at),
            "ip": subscriber.consent_ip,
            "user_agent": subscriber.consent_user_agent,
            "text": subscriber.consent_text,
        },
        "soft_bounces": subscriber.soft_bounces,
    }
    if apps.is_installed("digest.delivery"):
        data["digests"] = [
            {"period": str(d.period), "status": d.status, "subject": d.subject, "sent_at": when(d.sent_at)}
            for d in subscriber.deliveries.order_by("period")
        ]
        data["account_emails"] = [
            {"type": m.name, "to": m.to, "status": m.status, "created_at": when(m.created_at)}
            for m in subscriber.transactional_emails.order_by("created_at")
        ]
    if apps.is_installed("digest.matching"):
        feedback = subscriber.feedback.select_related("paper").order_by("created_at")
        data["feedback"] = [
            {"paper": f.paper.title, "arxiv_id": f.paper.arxiv_id, "value": f.value, "at": when(f.created_at)}
            for f in feedback
        ]
    return data
