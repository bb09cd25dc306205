from __future__ import annotations

from digest.papers.models import Author, Paper, PaperAuthor
from tests.ingest.conftest import ARXIV_CSV, Ingest


def test_the_csv_sample_gives_2000_papers_then_nothing_new(ingest: Ingest) -> None:
    first = ingest(ARXIV_CSV)
    assert first.format == "arxiv-csv"
    assert (first.new, first.updated, first.unchanged, first.rejected) == (2000, 0, 0, 0)
    assert Paper.objects.count() == 2000

    second = ingest(ARXIV_CSV)
    assert (second.new, second.updated, second.unchanged, second.rejected) == (0, 0, 2000, 0)
    assert Paper.objects.count() == 2000


def test_spreadsheet_mangled_ids_are_restored_and_authors_kept_in_order(ingest: Ingest) -> None:
    ingest(ARXIV_CSV)
    # The CSV holds "704.0001" and "704.001": the ids lost their leading and trailing zeros.
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert paper.arxiv_version == 2
    assert (
        paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert paper.categories == "hep-ph" and paper.primary_category == "hep-ph"
    assert paper.published_at.isoformat() == "2007-04-02T19:18:42+00:00"
    assert paper.author_names == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    ordered = list(
        PaperAuthor.objects.filter(paper=paper).order_by("position").values_list("author__name", flat=True)
    )
    assert ordered == paper.author_names
    assert Paper.objects.filter(arxiv_id="0704.0010").exists()
    assert Author.objects.get(name="C. Balázs").match_key == "balazs c"
    assert not Paper.objects.filter(arxiv_id__regex=r"^\d{3}\.").exists()
