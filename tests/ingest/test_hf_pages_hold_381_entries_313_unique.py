from __future__ import annotations

from digest.ingest.formats import hf_page
from digest.ingest.records import PaperRecord
from digest.papers.models import Paper
from tests.ingest.conftest import HF_PAGES, Ingest


def test_the_four_sample_pages_parse_into_381_entries_with_313_distinct_titles() -> None:
    records = []
    for page in HF_PAGES:
        with page.open("rb") as stream:
            records.extend(hf_page.parse(stream))
    assert len(HF_PAGES) == 4
    assert all(isinstance(r, PaperRecord) for r in records)
    assert len(records) == 381
    assert len({r.title_key for r in records}) == 313
    first = records[0]
    assert first.title == "mPLUG-Owl: Modularization Empowers Large Language Models with Multimodality"
    assert first.abstract.startswith("Large language models (LLMs) have demonstrated")
    assert first.code_urls == ["https://github.com/X-PLUG/mPLUG-Owl"]
    assert first.project_urls == ["https://www.modelscope.cn/studios/damo/mPLUG-Owl"]
    assert (first.published_at.month, first.published_at.day) == (3, 12)


def test_ingesting_the_pages_stores_313_papers_keyed_by_title(ingest: Ingest) -> None:
    runs = [ingest(page) for page in HF_PAGES]
    assert sum(run.new for run in runs) == 313
    assert sum(run.unchanged for run in runs) == 381 - 313
    assert sum(run.rejected for run in runs) == 0
    assert Paper.objects.count() == 313
    assert not Paper.objects.exclude(key__startswith="title:").exists()
    assert set(Paper.objects.values_list("sources", flat=True)) == {"hf-page"}
