from __future__ import annotations

import pytest

from digest.ingest.normalise import author_key, author_match_key, clean_authors


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
