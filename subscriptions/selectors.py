"""Reads for the subscription pages and services."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.apps import apps
from django.db.models import Q

from digest.papers.models import Author, Paper, Topic
from subscriptions.models import Subscriber


def subscriber_by_email(*, email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email__iexact=email).first()


def topics_for_form() -> list[Topic]:
    return list(Topic.objects.order_by("name"))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w\s-]", " ", stripped.casefold()).split())


def _surname_initial(name: str) -> tuple[str, str] | None:
    """("lecun", "y") for "Yann LeCun", "Y. LeCun" and "LeCun, Yann"."""
    if "," in name:
        surname, _, given = name.partition(",")
    else:
        given, _, surname = name.strip().rpartition(" ")
    surname, given = _fold(surname), _fold(given)
    if not surname:
        return None
    return surname, given[:1]


def authors_resolve(*, names: list[str]) -> tuple[list[Author], list[str]]:
    """Resolve typed names to Author rows the way the matching engine sees authors: by surname and
    first initial (the `match_key` idea), so "Y. LeCun" follows every "Yann LeCun" spelling.

    Returns (authors, names nobody in our papers has)."""
    found: dict[int, Author] = {}
    unknown: list[str] = []
    for name in names:
        parts = _surname_initial(name)
        if parts is None:
            unknown.append(name)
            continue
        surname, initial = parts
        last_word = surname.split()[-1]
        # A cheap database prefilter on the surname, then an exact comparison of the folded keys,
        # so accents and case never decide and "Li" does not follow every "Lin".
        candidates = Author.objects.filter(
            Q(match_key__icontains=last_word) | Q(name__icontains=last_word) | Q(key__icontains=last_word)
        )[:500]
        hits = []
        for author in candidates:
            their = _surname_initial(author.name)
            if their and their[0] == surname and (not initial or not their[1] or their[1] == initial):
                hits.append(author)
        if hits:
            found.update((author.pk, author) for author in hits)
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
    if apps.is_installed("digest.matching"):
        feedback = subscriber.feedback.select_related("paper").order_by("created_at")
        data["feedback"] = [
            {"paper": f.paper.title, "arxiv_id": f.paper.arxiv_id, "value": f.value, "at": when(f.created_at)}
            for f in feedback
        ]
    return data
