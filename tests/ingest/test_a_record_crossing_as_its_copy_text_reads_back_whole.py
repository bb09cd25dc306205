"""On PostgreSQL a record with its COPY text crosses from the parser process as that text plus a few
fields; the storing process reads the rest back from the text when the record meets another paper.
What it reads back must be the record that was prepared, field for field, for every format and for
rows mangled the ways real input goes wrong."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.ingest import detect
from digest.ingest.formats.arxiv_snapshot import arxiv_fast
from digest.ingest.records import PaperRecord, Prepared
from digest.papers import bulk, services
from digest.papers.models import Paper
from tests.ingest.conftest import DATA, HF_PAGES, Ingest
from tests.ingest.test_the_compiled_arxiv_path_prepares_what_the_python_path_does import (
    SAMPLE,
    _python_path,
    _row_mangled,
)


def _assert_reads_back(prepared: Prepared, crossing: Prepared | None = None) -> bool:
    """Whether the record crossed as its COPY text (in `crossing`, where the compiled path made it);
    where it did, it reads back whole."""
    values, content_hash, copy = prepared
    received, received_hash, received_copy = services._received(crossing or services._crossing(prepared))
    assert (received_hash, received_copy) == (content_hash, copy)
    if copy is None:
        assert received == PaperRecord.from_tuple(values)
        return False
    assert isinstance(received, services._Copied)
    expected = PaperRecord.from_tuple(values)
    assert received.key == expected.key
    whole = received.full()
    assert whole == expected
    assert [type(getattr(whole, name)) for name in whole.__slots__] == [
        type(getattr(expected, name)) for name in expected.__slots__
    ]
    return True


@pytest.mark.parametrize("path", [*sorted(DATA.iterdir()), *HF_PAGES], ids=lambda path: path.name)
def test_every_format_reads_back_what_was_prepared(path: Path) -> None:
    with path.open("rb") as stream:
        _, parsed = detect.records(stream, format=None, name_hint=str(path), share=None, fast=None)
        records = [item for item in parsed if isinstance(item, PaperRecord)]
    assert records
    for record in records:
        _assert_reads_back((record.to_tuple(), *services._prepared(record, True)))


@pytest.mark.parametrize(
    "text", ["", "plain", "\\N", "a\tb\nc\rd", "\\\\t", "ends with \\", "\\\t\\n\\r", "é $\\alpha$ <b>"]
)
def test_a_copy_field_reads_back_as_the_text_it_escapes(text: str) -> None:
    assert bulk.copy_unescaped(bulk.copy_escaped(text)) == text


def test_copy_text_reads_back_as_every_record_column_of_the_row() -> None:
    now = datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC)
    rows = 0
    for number, sample in enumerate(SAMPLE[:300], start=1):
        python = _python_path(number, sample, True)
        assert python is not None
        record = PaperRecord.from_tuple(python[0])
        for variant in (
            record,
            replace(record, upvotes=7, updated_at=None, code_urls=["https://github.com/a/b"]),
        ):
            row = services._row_new(variant, now)
            copy = bulk.record_copy_text(row)
            assert bulk.record_copy_fields(copy) == {column: row[column] for column in bulk.RECORD_COLUMNS}
            rows += 1
    assert rows == 600


def test_the_arxiv_sample_reads_back_through_both_paths() -> None:
    crossed = 0
    for number, row in enumerate(SAMPLE, start=1):
        python = _python_path(number, row, True)
        assert python is not None
        crossed += _assert_reads_back(python)
        if arxiv_fast is not None and (fast := arxiv_fast.prepared(True, number, row)) is not None:
            assert _assert_reads_back(python, fast)
    assert crossed == len(SAMPLE)


def test_mangled_rows_read_back_through_both_paths() -> None:
    rng = random.Random(20261202)
    crossed = 0
    for number in range(1, 3_001):
        row = _row_mangled(rng, rng.choice(SAMPLE))
        python = _python_path(number, row, True)
        if python is not None:
            crossed += _assert_reads_back(python)
        if arxiv_fast is not None and (fast := arxiv_fast.prepared(True, number, row)) is not None:
            assert python is not None
            assert _assert_reads_back(python, fast)
    # Most mangled rows are still papers: the comparison is not vacuous.
    assert crossed > 1_500


def test_a_paper_met_twice_in_one_batch_is_stored_as_when_each_record_came_alone(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    """v1 and v2 of one paper, and the same version twice with another category list, in one
    file: the second record merges into a row the first left as COPY text."""
    first = {**SAMPLE[0], "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}
    second = {
        **SAMPLE[0],
        "title": SAMPLE[0]["title"] + " (revised)",
        "versions": [
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        ],
    }
    again = {**SAMPLE[1], "categories": SAMPLE[1]["categories"] + " cs.LG"}
    lines = [first, SAMPLE[1], second, again]
    run = ingest(write("together.jsonl", "".join(json.dumps(row) + "\n" for row in lines)))
    # Each later record of a paper counts as updating the row the earlier one made.
    assert (run.new, run.updated) == (2, 2)
    stored = list(Paper.objects.order_by("key").values_list("key", "title", "arxiv_version", "categories"))

    Paper.objects.all().delete()
    for number, row in enumerate(lines):
        ingest(write(f"alone-{number}.jsonl", json.dumps(row) + "\n"))
    alone = list(Paper.objects.order_by("key").values_list("key", "title", "arxiv_version", "categories"))
    assert stored == alone
    assert stored[0][1].endswith("(revised)") and stored[0][2] == 2
