"""Each bad record is rejected with its line (or record) number and a reason; the good ones around
it are stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from digest.ingest.normalise import MAX_ABSTRACT, MAX_TITLE
from digest.papers.models import IngestRun, Paper
from tests.ingest.conftest import Ingest


def good(n: int) -> str:
    return json.dumps({"id": f"2402.{n:05d}", "title": f"Good paper {n}", "abstract": "Fine."})


def reasons(run: IngestRun) -> dict[int, str]:
    return {reject["record"]: reject["reason"] for reject in run.rejects}


def test_invalid_and_incomplete_json_lines(ingest: Ingest, write: Callable[[str, str], Path]) -> None:
    lines = [
        good(1),
        '{"id": "2402.00002", "title": "Broken", "abstract": ',
        json.dumps({"id": "2402.00003", "abstract": "No title here."}),
        json.dumps({"id": "2402.00004", "title": "No abstract", "abstract": "   "}),
        "[1, 2, 3]",
        json.dumps({"id": "not-an-id", "title": "Bad id", "abstract": "x"}),
        good(7),
        "",
        json.dumps({"title": "No id at all", "abstract": "x"}),
        good(10),
    ]
    run = ingest(write("mixed.jsonl", "\n".join(lines) + "\n"), "arxiv-jsonl")
    assert run.status == IngestRun.Status.DONE
    assert (run.new, run.rejected) == (3, 6)
    got = reasons(run)
    assert got[2].startswith("invalid JSON")
    assert got[3] == "no title"
    assert got[4] == "no abstract"
    assert got[5] == "expected a JSON object, got list"
    assert got[6] == "not an arXiv id: 'not-an-id'"
    assert got[9] == "no id"
    assert sorted(Paper.objects.values_list("key", flat=True)) == ["2402.00001", "2402.00007", "2402.00010"]


def test_absurdly_long_fields_are_rejected(ingest: Ingest, write: Callable[[str, str], Path]) -> None:
    lines = [
        json.dumps({"id": "2402.00001", "title": "T" * (MAX_TITLE + 1), "abstract": "x"}),
        json.dumps({"id": "2402.00002", "title": "Fine", "abstract": "word " * MAX_ABSTRACT}),
        json.dumps(
            {"id": "2402.00003", "title": "Fine", "abstract": "x", "authors_parsed": [["N" * 400, "A", ""]]}
        ),
        good(4),
    ]
    run = ingest(write("long.jsonl", "\n".join(lines)))
    got = reasons(run)
    assert got[1] == f"title is {MAX_TITLE + 1:,} characters long (limit {MAX_TITLE:,})"
    assert got[2].startswith("abstract is 100,000 characters long")
    assert got[3].startswith("author name is 402 characters long")
    assert (run.new, run.rejected) == (1, 3)


def test_control_characters_and_invalid_utf8_are_rejected(
    ingest: Ingest, write: Callable[[str, bytes], Path]
) -> None:
    lines = [
        json.dumps({"id": "2402.00001", "title": "Null\u0000byte", "abstract": "x"}).encode(),
        json.dumps({"id": "2402.00002", "title": "Escape", "abstract": "bell \u0007 here"}).encode(),
        b'{"id": "2402.00003", "title": "Latin-1 caf\xe9", "abstract": "x"}',
        json.dumps(
            {"id": "2402.00004", "title": "Tabs\tand\r\nnewlines are whitespace", "abstract": "ok"}
        ).encode(),
    ]
    run = ingest(write("control.jsonl", b"\n".join(lines)))
    got = reasons(run)
    assert got[1] == "title contains control character U+0000"
    assert got[2] == "abstract contains control character U+0007"
    assert got[3] == "title is not valid UTF-8"
    assert Paper.objects.get().title == "Tabs and newlines are whitespace"


def test_rejects_are_capped_but_counted(ingest: Ingest, write: Callable[[str, str], Path]) -> None:
    run = ingest(write("garbage.jsonl", "{nope\n" * 500 + good(1) + "\n"))
    assert run.rejected == 500
    assert len(run.rejects) == 200
    assert run.new == 1


def test_hf_page_paragraphs_out_of_step_are_rejected(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    long_paragraph = "This is far too long to be a title. " * 20
    page = f"Mar 12\n\nA Title\n\nIts abstract.\n\n{long_paragraph}\n\nSecond Title\n\nSecond abstract.\n"
    run = ingest(write("page.txt", page))
    assert run.new == 2
    assert reasons(run) == {
        7: f"expected a title, found a {len(long_paragraph.strip()):,}-character paragraph"
    }
