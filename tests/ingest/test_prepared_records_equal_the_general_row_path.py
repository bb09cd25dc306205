"""The parser process formats each record's content hash and COPY text straight from the record;
they must equal what the storing side computes from the row, or re-ingesting would report papers
changed that are not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.ingest import detect
from digest.ingest.records import PaperRecord, record_build
from digest.papers import bulk
from digest.papers.services import _hash, _prepared, _row_new
from tests.ingest.conftest import ARXIV_CSV, DATA, HF_PAGES

pytestmark = pytest.mark.skipif(not bulk.is_postgres(), reason="the COPY text is PostgreSQL's")


def _records(path: Path) -> list[PaperRecord]:
    with path.open("rb") as stream:
        _, parsed = detect.records(stream, name_hint=path.name)
        return [item for item in parsed if isinstance(item, PaperRecord)]


def _general(record: PaperRecord) -> tuple[str, bytes]:
    row = _row_new(record, record.published_at)
    return _hash(row), bulk.record_copy_text(row)


@pytest.mark.parametrize(
    "path",
    [
        *HF_PAGES[:1],
        ARXIV_CSV,
        *sorted(p for p in DATA.iterdir() if p.suffix in {".atom", ".rss", ".json", ".jsonl"}),
    ],
)
def test_every_sample_record_is_prepared_as_the_row_path_would(path: Path) -> None:
    records = _records(path)
    assert records
    for record in records:
        # Without a date the paper depends on the time of storing: the storing side computes it.
        assert _prepared(record, postgres=True) == (_general(record) if record.published_at else (None, None))


def test_text_that_copy_must_escape_is_prepared_alike() -> None:
    record = record_build(
        record=1,
        source="arxiv-jsonl",
        title="LeC$^2$O-NeRF \\emph{fast}\t<b>bold</b>",
        abstract='First paragraph with \\alpha and "quotes".\n\nSecond: https://github.com/a/b and www.example.org',
        authors=['Zoë "Z" Ø\\stergaard', "Jr., Sammy Davis"],
        arxiv_id="hep-th/9901001v2",
        categories=["hep-th math.QA"],
        published_at=datetime(1999, 1, 1, 12, 0, tzinfo=UTC),
        updated_at=datetime(1999, 2, 1, 12, 0, tzinfo=UTC),
        upvotes=7,
    )
    assert _prepared(record, postgres=True) == _general(record)
    assert json.loads(_general(record)[1].decode().split("\t")[6].replace("\\\\", "\\")) == record.authors
