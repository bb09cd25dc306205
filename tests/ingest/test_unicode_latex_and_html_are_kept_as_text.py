from __future__ import annotations

from django.test import Client

from digest.papers.models import Paper
from tests.ingest.conftest import DATA, Ingest


def test_titles_and_abstracts_keep_unicode_latex_and_html_characters_exactly(ingest: Ingest) -> None:
    ingest(DATA / "arxiv-api.atom")
    paper = Paper.objects.get(arxiv_id="2403.12345")
    assert (
        paper.title == "LeC$^2$O-NeRF: Learning Continuous and Compact Large-Scale Occupancy for Urban Scenes"
    )
    # The feed escaped the markup once; what the authors typed (<b>, $\alpha < 1$) is what we keep.
    assert "$\\alpha < 1$" in paper.abstract
    assert "the <b>occupancy</b> is learned" in paper.abstract
    accented = Paper.objects.get(arxiv_id="2403.00001")
    assert accented.title == "Gaußian Splatting für Städte: Échelle et Précision"
    assert accented.author_names == ["Jürgen Müller", "Yann LeCun"]


def test_the_title_key_ignores_case_accents_and_punctuation(ingest: Ingest) -> None:
    from digest.ingest.normalise import title_hash

    assert title_hash("Gaußian Splatting für Städte") == title_hash("GAUSSIAN splatting fur stadte!")
    assert title_hash("LeC$^2$O-NeRF") == title_hash("lec 2 o nerf")
    assert title_hash("LeC$^2$O-NeRF") != title_hash("LeCO-NeRF")


def test_markup_in_an_abstract_is_never_rendered(ingest: Ingest, client: Client) -> None:
    ingest(DATA / "arxiv-api.atom")
    paper = Paper.objects.get(arxiv_id="2403.12345")
    from django.template import Context, Template

    rendered = Template("{{ paper.abstract }}").render(Context({"paper": paper}))
    assert "&lt;b&gt;occupancy&lt;/b&gt;" in rendered and "<b>" not in rendered
