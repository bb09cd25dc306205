"""Helpers for ingestion tests: the sample data, fixture files and a one-call ingest."""

from __future__ import annotations

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
