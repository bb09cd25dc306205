"""Helpers for ingestion tests: the sample data, fixture files and a one-call ingest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.papers.models import IngestRun
from digest.papers.services import ingest_location

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]
HF_PAGES = sorted((ROOT / "demo" / "hf-papers").glob("page-*.txt"))
ARXIV_CSV = ROOT / "demo" / "arxiv-sample" / "arxiv-2007-sample.csv"


Ingest = Callable[..., IngestRun]


@pytest.fixture
def ingest(db: None) -> Ingest:
    def run(location: Path | str, format: str | None = None) -> IngestRun:
        return ingest_location(location=str(location), format=format)

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    def make(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return make


def snapshot_line(arxiv_id: str, version: int, title: str, authors: tuple[str, ...] = ("Turing",)) -> str:
    """One arXiv snapshot JSON line: `version` versions a day apart, Ada Lovelace and Alan <author>s."""
    return json.dumps(
        {
            "id": arxiv_id,
            "title": title,
            "abstract": f"Abstract of {title}.",
            "categories": "cs.LG",
            "versions": [
                {"version": f"v{n}", "created": f"Mon, {n} Jan 2024 10:00:00 GMT"}
                for n in range(1, version + 1)
            ],
            "authors_parsed": [["Lovelace", "Ada", ""], *([surname, "Alan", ""] for surname in authors)],
        }
    )


class FailingOnCall:
    """A bulk write that raises `error` on its `failing`-th call and does its work on the others."""

    def __init__(self, write: Callable[..., object], failing: int, error: Exception) -> None:
        self.write, self.failing, self.error, self.calls = write, failing, error, 0

    def __call__(self, **kwargs: object) -> object:
        self.calls += 1
        if self.calls == self.failing:
            raise self.error
        return self.write(**kwargs)
