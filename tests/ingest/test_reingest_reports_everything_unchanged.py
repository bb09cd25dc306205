from __future__ import annotations

from pathlib import Path

import pytest

from digest.papers.models import Paper
from tests.ingest.conftest import DATA, HF_PAGES, Ingest


@pytest.mark.parametrize(
    "path",
    [
        HF_PAGES[1],
        DATA / "snapshot.jsonl",
        DATA / "arxiv-api.atom",
        DATA / "arxiv-listing.atom",
        DATA / "arxiv-listing.rss",
        DATA / "arxiv-listing-rdf.rss",
        DATA / "hf-daily-papers.json",
    ],
    ids=lambda path: path.name,
)
def test_the_same_input_twice_creates_and_changes_nothing(ingest: Ingest, path: Path) -> None:
    first = ingest(path)
    stored = {p.pk: (p.content_hash, p.modified_at, p.first_seen_at) for p in Paper.objects.all()}
    second = ingest(path)
    assert first.new > 0
    assert (second.new, second.updated, second.rejected) == (0, 0, 0)
    assert second.unchanged == first.new + first.updated + first.unchanged
    assert {p.pk: (p.content_hash, p.modified_at, p.first_seen_at) for p in Paper.objects.all()} == stored


def test_all_four_pages_again_are_all_unchanged(ingest: Ingest) -> None:
    for page in HF_PAGES:
        ingest(page)
    runs = [ingest(page) for page in HF_PAGES]
    assert [run.unchanged for run in runs] == [172, 56, 84, 69]
    assert sum(run.new + run.updated for run in runs) == 0
