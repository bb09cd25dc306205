from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.ingest.detect import detect, records
from digest.ingest.errors import IngestError
from tests.ingest.conftest import ARXIV_CSV, DATA, HF_PAGES


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (HF_PAGES[0], "hf-page"),
        (ARXIV_CSV, "arxiv-csv"),
        (DATA / "snapshot.jsonl", "arxiv-jsonl"),
        (DATA / "arxiv-api.atom", "arxiv-atom"),
        (DATA / "arxiv-listing.atom", "arxiv-atom"),
        (DATA / "arxiv-listing.rss", "arxiv-rss"),
        (DATA / "arxiv-listing-rdf.rss", "arxiv-rss"),
        (DATA / "hf-daily-papers.json", "hf-api"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_each_format_is_recognised_from_its_content(path: Path, expected: str) -> None:
    # The content decides, not the file name.
    assert detect(path.read_bytes()[:65536], name_hint="download") == expected


def test_gzip_compressed_input_is_read_transparently(write: Callable[[str, bytes], Path]) -> None:
    path = write("snapshot.gz", gzip.compress((DATA / "snapshot.jsonl").read_bytes()))
    with path.open("rb") as stream:
        format, parsed = records(stream)
        assert format == "arxiv-jsonl"
        assert len(list(parsed)) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the input is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP archive"),
        (bytes(range(256)) * 4, "binary data"),
        (b"<!doctype html><html><body>hi</body></html>", "HTML page"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "unknown XML document <catalog>"),
        (b"just one line of prose with nothing else", "could not recognise the format"),
    ],
)
def test_unrecognisable_input_is_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        detect(content)
