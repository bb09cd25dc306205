"""Word search over papers for the admin: PostgreSQL full text (the GIN-indexed documents of
`digest.papers.search_index`) or substring match.

On PostgreSQL a term matches words starting with it ("transform" finds "transformers"), a quoted
phrase matches those words in order; title, abstract and authors are one document. Elsewhere (the
embedded SQLite mode, small by nature) each term is a case-insensitive substring.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet

from digest.papers.models import PaperSearchDocument

# The ids of the papers whose document matches a tsquery (bound as the one parameter).
MATCHING_IDS = (
    f'SELECT paper_id FROM "{PaperSearchDocument._meta.db_table}" '
    "WHERE document @@ to_tsquery('simple'::regconfig, %s)"
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


# Up to this many hits the ids are passed on as one array; above it the query keeps a semi-join.
ID_LIST_MAX = 2_000


def _fulltext(queryset: QuerySet, query: str, or_ids: list[int] | None = None) -> QuerySet:
    """Papers matching a tsquery (or with an id in `or_ids`), choosing the plan PostgreSQL cannot
    choose itself: it has no estimate of a tsquery's hits. The ids come from the GIN index in
    milliseconds; up to ID_LIST_MAX of them are passed on as one array, which a rare term needs (a
    semi-join could walk the published_at index until 50 papers match). A common term keeps the
    semi-join, where that walk ends early and a long id array would cost more."""
    with connection.cursor() as cursor:
        cursor.execute(MATCHING_IDS, [query])
        ids = [row[0] for row in cursor.fetchall()]
    extra = [int(i) for i in or_ids or []]
    if len(ids) <= ID_LIST_MAX:
        return queryset.extra(where=['"papers_paper"."id" = ANY(%s)'], params=[ids + extra])
    where = f'"papers_paper"."id" IN ({MATCHING_IDS})'
    if extra:
        where = f'({where} OR "papers_paper"."id" = ANY(%s))'
        return queryset.extra(where=[where], params=[query, extra])
    return queryset.extra(where=[where], params=[query])


def papers_matching_all(queryset: QuerySet, terms: list[str]) -> QuerySet:
    """Papers containing every term (a term may be a phrase)."""
    if _use_fulltext():
        parts = [q for q in (_phrase_query(t) for t in terms) if q]
        if not parts:
            return queryset
        return _fulltext(queryset, " & ".join(f"({p})" for p in parts))
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
        return _fulltext(queryset, " | ".join(f"({p})" for p in parts), or_ids)
    q = Q(pk__in=or_ids)
    for phrase in phrases:
        q |= Q(title__icontains=phrase) | Q(abstract__icontains=phrase) | Q(author_names__icontains=phrase)
    return queryset.filter(q)
