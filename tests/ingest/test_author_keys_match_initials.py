from __future__ import annotations

import pytest

from digest.ingest.formats.arxiv_snapshot import parse_csv
from digest.ingest.normalise import author_key, author_match_key, author_match_key_keyed, clean_authors
from digest.ingest.records import PaperRecord
from tests.ingest.conftest import ARXIV_CSV


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["Yann LeCun", "Y. LeCun", "LeCun, Yann", "yann lecun"], "lecun y"),
        (["C. Balázs", "Csaba Balazs", "C. Bal\u0061\u0301zs"], "balazs c"),
        (["C.-P. Yuan", "C. -P. Yuan", "Chien-Peng Yuan"], "yuan c"),
        (["Martin Luther King Jr.", "M. L. King, Jr"], "king m"),
        (["Ørsted", "ørsted"], "ørsted"),
    ],
)
def test_spellings_of_one_person_share_a_match_key(names: list[str], key: str) -> None:
    assert {author_match_key(name) for name in names} == {key}


def test_the_full_key_folds_case_accents_and_punctuation_only() -> None:
    assert author_key("Jürgen MÜLLER") == author_key("jurgen muller") == "jurgen muller"
    assert author_key("Y. LeCun") != author_key("Yann LeCun")


def test_author_lists_are_cleaned_and_deduplicated_in_order() -> None:
    assert clean_authors(["  Ada\tLovelace ", "", "Alan Turing", "ada lovelace", "Grace\u0000Hopper"]) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]


def _sample_names() -> list[str]:
    with ARXIV_CSV.open("rb") as stream:
        names = [
            name for record in parse_csv(stream) if isinstance(record, PaperRecord) for name in record.authors
        ]
    return [
        *names,
        *["Jr", "Smith Jr.", "Ørsted", "ﬁnn ﬂow", "½ Half", "- -", "-- --", "__init__", "李 小龙", "a" * 299],
        *["José  María   Núñez", "O'Neil", "Jean-Luc Picard III", "\u00a0Nobody\u00a0", "X Æ A-12"],
    ]


def test_the_match_key_from_the_author_key_is_the_match_key_of_the_name() -> None:
    names = _sample_names()
    assert len(names) > 5_000
    for name in names:
        assert author_match_key_keyed(name, author_key(name)) == author_match_key(name), name
