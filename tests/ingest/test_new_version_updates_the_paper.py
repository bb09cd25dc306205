from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from digest.papers.models import Author, Paper, PaperAuthor
from tests.ingest.conftest import Ingest


def line(version: int, title: str, authors: list[str]) -> str:
    versions = [
        {"version": f"v{n}", "created": f"Mon, {n} Jan 2024 10:00:00 GMT"} for n in range(1, version + 1)
    ]
    return json.dumps(
        {
            "id": "2401.01234",
            "title": title,
            "abstract": f"Abstract of version {version}.",
            "categories": "cs.LG",
            "versions": versions,
            "authors_parsed": [[a.split()[-1], a.split()[0], ""] for a in authors],
        }
    )


def test_v2_updates_the_existing_paper_instead_of_adding_one(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    first = ingest(
        write("v1.jsonl", line(1, "A First Title", ["Ada Lovelace", "Alan Turing"])), "arxiv-jsonl"
    )
    paper = Paper.objects.get()
    seen = paper.first_seen_at
    assert (first.new, paper.arxiv_version) == (1, 1)

    second = ingest(
        write("v2.jsonl", line(2, "A Better Title", ["Alan Turing", "Grace Hopper"])), "arxiv-jsonl"
    )
    assert (second.new, second.updated, second.unchanged) == (0, 1, 0)
    paper = Paper.objects.get()
    assert paper.key == "2401.01234" and paper.arxiv_version == 2
    assert paper.title == "A Better Title" and paper.abstract == "Abstract of version 2."
    assert paper.first_seen_at == seen
    assert paper.modified_at > seen
    assert paper.author_names == ["Alan Turing", "Grace Hopper"]
    links = PaperAuthor.objects.filter(paper=paper).order_by("position")
    assert [link.author.name for link in links] == ["Alan Turing", "Grace Hopper"]
    assert Author.objects.count() == 3


def test_an_older_version_arriving_late_does_not_overwrite_the_newer(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    ingest(write("v2.jsonl", line(2, "The Newer Title", ["Ada Lovelace"])))
    late = ingest(write("v1.jsonl", line(1, "The Older Title", ["Ada Lovelace"])))
    assert (late.new, late.updated, late.unchanged) == (0, 0, 1)
    paper = Paper.objects.get()
    assert (paper.title, paper.arxiv_version) == ("The Newer Title", 2)


def test_v1_and_v2_in_the_same_file_give_one_paper(ingest: Ingest, write: Callable[[str, str], Path]) -> None:
    run = ingest(write("both.jsonl", line(1, "Old", ["A B"]) + "\n" + line(2, "New", ["A B"]) + "\n"))
    assert (run.new, run.updated) == (1, 1)
    assert Paper.objects.get().title == "New"
