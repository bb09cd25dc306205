"""One realistic fixture per format, ingested end to end."""

from __future__ import annotations

from digest.papers.models import Paper
from tests.ingest.conftest import DATA, Ingest


def test_arxiv_snapshot_json_lines(ingest: Ingest) -> None:
    run = ingest(DATA / "snapshot.jsonl")
    assert (run.format, run.new, run.rejected) == ("arxiv-jsonl", 3, 0)
    paper = Paper.objects.get(key="2401.00001")
    assert paper.title == "Notes on the Analytical Engine"
    # Hard line breaks are unwrapped; the indented second paragraph stays a paragraph.
    assert (
        paper.abstract
        == "We describe an engine that weaves algebraic patterns.\n\nIt computes Bernoulli numbers."
    )
    assert paper.author_names == ["Ada Lovelace", "Charles Babbage"]
    assert paper.category_list == ["cs.LG", "math.HO"]
    assert Paper.objects.get(key="2401.00002").arxiv_version == 2
    assert Paper.objects.get(key="math/0601001").abs_url == "https://arxiv.org/abs/math/0601001"


def test_arxiv_api_atom(ingest: Ingest) -> None:
    run = ingest(DATA / "arxiv-api.atom")
    assert (run.format, run.new, run.rejected) == ("arxiv-atom", 3, 0)
    paper = Paper.objects.get(arxiv_id="2403.12345")
    assert paper.arxiv_version == 2
    assert paper.author_names == ["Zhenxing Mi", "Dan Xu"]
    assert paper.categories == "cs.CV cs.GR"
    assert paper.code_urls == ["https://github.com/example/lec2o-nerf"] and paper.has_code
    assert paper.pdf_url == "https://arxiv.org/pdf/2403.12345"
    assert paper.updated_at and paper.updated_at > paper.published_at
    assert Paper.objects.get(arxiv_id="2403.00001").project_urls == ["https://example.org/splat-cities"]
    assert Paper.objects.get(arxiv_id="hep-th/9901001").arxiv_version == 3


def test_arxiv_listing_atom_strips_the_announcement_prefix(ingest: Ingest) -> None:
    run = ingest(DATA / "arxiv-listing.atom")
    assert (run.format, run.new) == ("arxiv-atom", 2)
    paper = Paper.objects.get(arxiv_id="2403.11111")
    assert paper.abstract == "We route tokens to experts. Code at https://github.com/moe/router."
    assert paper.author_names == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert Paper.objects.get(arxiv_id="2402.22222").author_names == ["Ashish Vaswani", "Noam Shazeer"]


def test_arxiv_listing_rss_both_generations(ingest: Ingest) -> None:
    run = ingest(DATA / "arxiv-listing.rss")
    assert (run.format, run.new) == ("arxiv-rss", 2)
    paper = Paper.objects.get(arxiv_id="2403.33333")
    assert paper.abstract == "We compare tokenisers across 100 languages, including 日本語 and العربية."
    assert paper.author_names == ["Sofia Kovalevskaya", "Ming Zhang"]
    assert Paper.objects.get(arxiv_id="2403.44444").categories == "eess.AS cs.CL"

    old = ingest(DATA / "arxiv-listing-rdf.rss")
    assert (old.format, old.new) == ("arxiv-rss", 1)
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert (
        paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert (
        paper.abstract
        == "A fully differential calculation in perturbative quantum chromodynamics is presented."
    )
    assert paper.author_names == ["C. Balázs", "E. L. Berger"]
    assert (paper.arxiv_version, paper.categories) == (3, "hep-ph")


def test_hugging_face_daily_papers_api(ingest: Ingest) -> None:
    run = ingest(DATA / "hf-daily-papers.json")
    assert (run.format, run.new, run.rejected) == ("hf-api", 2, 0)
    paper = Paper.objects.get(arxiv_id="2403.12345")
    assert paper.upvotes == 42
    assert paper.code_urls == ["https://github.com/example/lec2o-nerf"]
    assert paper.sources == "hf-api"
    assert Paper.objects.get(arxiv_id="2403.55555").project_urls == ["https://ebm.example.com/demo"]
