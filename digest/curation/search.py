"""Word search over papers for the admin: PostgreSQL full text (one GIN index) or substring match.

On PostgreSQL a term matches words starting with it ("transform" finds "transformers"), a quoted
phrase matches those words in order; title, abstract and authors are one document. Elsewhere (the
embedded SQLite mode, small by nature) each term is a case-insensitive substring.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet

from digest.papers.models import Paper

# Must stay identical to the expression indexed by curation migration 0003.
DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(\"papers_paper\".\"title\", '') || ' ' || "
    'coalesce("papers_paper"."abstract", \'\') || \' \' || coalesce("papers_paper"."author_names"::text, \'\'))'
)
WORD = re.compile(r"\w+", re.UNICODE)


def _phrase_query(phrase: str) -> str | None:
    """`graph neural` -> `graph <-> neural:*`; only word characters survive, so nothing a curator
    types can change the query's structure."""
    words = [w.lower() for w in WORD.findall(phrase)]
    if not words:
        return None
    return " <-> ".join([*words[:-1], f"{words[-1]}:*"])


def _use_fulltext() -> bool:
    return connection.vendor == "postgresql"


# Up to this many hits the ids are passed on as one array; above it the expression itself is used.
ID_LIST_MAX = 2_000


def _fulltext(queryset: QuerySet, where: str, params: list[str]) -> QuerySet:
    """Filter by a full-text condition, choosing the plan PostgreSQL cannot choose itself: it has
    no estimate of a tsquery's hits. For a rare term it would walk the published_at index
    recomputing each paper's document until 50 match (5 s on 100,000 papers for 100 hits); the
    ids alone come from the GIN index in milliseconds and are passed on as one array. A common
    term (over 2% of papers) finds its first 50 early in that walk (~0.1 s), while a long id
    array would cost more, so it keeps the expression."""
    ids = list(Paper.objects.order_by().extra(where=[where], params=params).values_list("pk", flat=True))
    if len(ids) <= ID_LIST_MAX:
        return queryset.extra(where=['"papers_paper"."id" = ANY(%s)'], params=[ids])
    return queryset.extra(where=[where], params=params)


def papers_matching_all(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """Papers containing every term (a term may be a phrase)."""
    if _use_fulltext():
        parts = [q for q in (_phrase_query(t) for t in terms) if q]
        if not parts:
            return queryset
        query = " & ".join(f"({p})" for p in parts)
        return _fulltext(queryset, f"{DOCUMENT} @@ to_tsquery('simple'::regconfig, %s)", [query])
    for term in terms:
        queryset = queryset.filter(
            Q(title__icontains=term) | Q(abstract__icontains=term) | Q(author_names__icontains=term)
        )
    return queryset


def papers_matching_any(queryset: QuerySet, phrases: list[str], *, or_ids: list[int]) -> QuerySet:
    """Papers containing at least one of the phrases, or whose id is in `or_ids`."""
    if _use_fulltext():
        parts = [q for q in (_phrase_query(p) for p in phrases) if q]
        if not parts:
            return queryset.filter(pk__in=or_ids)
        query = " | ".join(f"({p})" for p in parts)
        ids = ",".join(str(int(i)) for i in or_ids) or "NULL"
        where = f'({DOCUMENT} @@ to_tsquery(\'simple\'::regconfig, %s) OR "papers_paper"."id" IN ({ids}))'
        return _fulltext(queryset, where, [query])
    q = Q(pk__in=or_ids)
    for phrase in phrases:
        q |= Q(title__icontains=phrase) | Q(abstract__icontains=phrase) | Q(author_names__icontains=phrase)
    return queryset.filter(q)
