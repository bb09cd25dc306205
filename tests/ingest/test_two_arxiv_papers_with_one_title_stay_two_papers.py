"""Titles repeat across arXiv ("Erratum", "Comment on ..."): an arXiv record takes over a paper by
its title only where that paper has no arXiv id. However the records arrive, in one file or
several, the papers come out the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from digest.papers.models import Paper
from tests.ingest.conftest import Ingest

TITLE = "Erratum: On the Stability of Rotating Boson Stars"
HF_PAGE = f"""new

Get trending papers in your email inbox!

Mar 18

{TITLE}

A page that names the paper but not its arXiv id.
"""


def _snapshot_line(arxiv_id: str, abstract: str) -> str:
    row = {
        "id": arxiv_id,
        "title": TITLE,
        "abstract": abstract,
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "gr-qc",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    }
    return json.dumps(row) + "\n"


FIRST = _snapshot_line("0704.0001", "The first erratum corrects a sign in the field equations.")
SECOND = _snapshot_line("0704.0002", "The second erratum corrects a table of masses.")


def _papers() -> list[tuple[str, str | None, str]]:
    return list(Paper.objects.order_by("key").values_list("key", "arxiv_id", "abstract"))


def test_two_arxiv_papers_sharing_a_title_are_two_papers_in_one_file_or_two(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    run = ingest(write("both.jsonl", FIRST + SECOND))
    assert run.new == 2
    together = _papers()
    assert [key for key, _, _ in together] == ["0704.0001", "0704.0002"]

    Paper.objects.all().delete()
    ingest(write("first.jsonl", FIRST))
    again = ingest(write("second.jsonl", SECOND))
    assert again.new == 1
    assert _papers() == together


def test_an_arxiv_record_takes_over_the_title_only_paper_and_the_next_one_stays_apart(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    ingest(write("page.txt", HF_PAGE))
    assert Paper.objects.get().arxiv_id is None

    run = ingest(write("first.jsonl", FIRST))
    assert (run.new, run.updated) == (0, 1)
    run = ingest(write("second.jsonl", SECOND))
    assert (run.new, run.updated) == (1, 0)
    papers = _papers()
    assert [(key, arxiv_id) for key, arxiv_id, _ in papers] == [
        ("0704.0001", "0704.0001"),
        ("0704.0002", "0704.0002"),
    ]

    # The page again merges into one of them and creates nothing.
    again = ingest(write("page.txt", HF_PAGE))
    assert again.new == 0
    assert Paper.objects.count() == 2
