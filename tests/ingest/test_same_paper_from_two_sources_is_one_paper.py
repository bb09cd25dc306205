from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from digest.papers.models import Paper
from tests.ingest.conftest import DATA, Ingest

TITLE = "LeC$^2$O-NeRF: Learning Continuous and Compact Large-Scale Occupancy for Urban Scenes"
HF_PAGE = f"""new

Get trending papers in your email inbox!

Mar 18

{TITLE}

In this paper, we propose LeC$^2$O-NeRF, as shown on the Hugging Face page.
"""


def test_an_arxiv_record_takes_over_a_paper_first_seen_on_a_hugging_face_page(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    ingest(write("page.txt", HF_PAGE))
    paper = Paper.objects.get()
    assert paper.key.startswith("title:") and paper.arxiv_id is None
    seen = paper.first_seen_at

    run = ingest(DATA / "arxiv-api.atom")
    assert (run.new, run.updated) == (2, 1)
    paper.refresh_from_db()
    assert paper.key == "2403.12345" and paper.arxiv_id == "2403.12345"
    assert paper.sources == "arxiv-atom hf-page"
    assert paper.author_names == ["Zhenxing Mi", "Dan Xu"]
    assert paper.first_seen_at == seen
    assert Paper.objects.filter(title_key=paper.title_key).count() == 1


def test_a_hugging_face_page_merges_into_the_arxiv_paper_without_replacing_it(
    ingest: Ingest, write: Callable[[str, str], Path]
) -> None:
    ingest(DATA / "arxiv-api.atom")
    paper = Paper.objects.get(arxiv_id="2403.12345")
    abstract = paper.abstract

    run = ingest(write("page.txt", HF_PAGE))
    assert (run.new, run.updated) == (0, 1)
    paper.refresh_from_db()
    assert paper.abstract == abstract  # arXiv's text is authoritative
    assert paper.sources == "arxiv-atom hf-page"
    assert Paper.objects.count() == 3

    again = ingest(write("page.txt", HF_PAGE))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)


def test_the_daily_papers_api_adds_upvotes_to_the_arxiv_paper(ingest: Ingest) -> None:
    ingest(DATA / "arxiv-api.atom")
    run = ingest(DATA / "hf-daily-papers.json")
    assert (run.new, run.updated) == (1, 1)
    paper = Paper.objects.get(arxiv_id="2403.12345")
    assert paper.upvotes == 42
    assert paper.arxiv_version == 2  # the API's unversioned id does not roll the version back
    assert paper.categories == "cs.CV cs.GR"


def test_upvotes_changing_count_as_an_update(ingest: Ingest, write: Callable[[str, str], Path]) -> None:
    data = json.loads((DATA / "hf-daily-papers.json").read_text())
    ingest(write("day1.json", json.dumps(data)))
    data[0]["paper"]["upvotes"] = 99
    run = ingest(write("day2.json", json.dumps(data)))
    assert (run.new, run.updated, run.unchanged) == (0, 1, 1)
    assert Paper.objects.get(arxiv_id="2403.12345").upvotes == 99
