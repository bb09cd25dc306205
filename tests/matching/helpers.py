"""Database helpers for matching tests: papers with properly normalised authors."""

from __future__ import annotations

from collections.abc import Sequence

from digest.ingest.normalise import author_key, author_match_key
from digest.papers.models import Author, Paper, PaperAuthor
from tests.factories import PaperFactory
from tests.matching.papers import BACKGROUND


def author(name: str) -> Author:
    found, _ = Author.objects.get_or_create(
        key=author_key(name), defaults={"name": name, "match_key": author_match_key(name)}
    )
    return found


def paper(title: str, abstract: str = "", *, authors: Sequence[str] = (), **fields: object) -> Paper:
    created = PaperFactory(title=title, abstract=abstract or title, authors=[], **fields)
    for position, name in enumerate(authors):
        PaperAuthor.objects.create(paper=created, author=author(name), position=position)
    if authors:
        created.author_names = list(authors)
        created.save(update_fields=["author_names"])
    return created


def background() -> list[Paper]:
    return [paper(title, abstract) for title, abstract in BACKGROUND]
