from __future__ import annotations

import pytest

from subscriptions.validation import MAX_TERMS, InputError, names_normalise, terms_normalise


def test_terms_split_on_lines_and_commas_and_keep_quoted_phrases_whole() -> None:
    typed = 'diffusion, "graph  neural network"\n  transformers  \n"a, b", Diffusion\n\n"single"'
    assert terms_normalise(typed) == [
        "diffusion",
        '"graph neural network"',
        "transformers",
        '"a, b"',
        "single",
    ]


def test_fullwidth_and_compatibility_characters_are_folded() -> None:
    assert terms_normalise("".join(chr(ord(c) + 0xFEE0) for c in "diffusion")) == ["diffusion"]


def test_ten_thousand_keywords_get_a_clear_error_with_the_limit() -> None:
    typed = "\n".join(f"k{i}" for i in range(10_000))
    with pytest.raises(InputError) as error:
        terms_normalise(typed, label="keywords")
    assert "10,000" in str(error.value)
    assert str(MAX_TERMS) in str(error.value)


def test_more_terms_than_the_limit_in_a_short_text_are_refused() -> None:
    typed = ",".join(f"k{i}" for i in range(MAX_TERMS + 1))
    with pytest.raises(InputError, match=f"limit is {MAX_TERMS}"):
        terms_normalise(typed, label="keywords")


@pytest.mark.parametrize(
    "typed",
    ["evil\u202etxt.exe", "zero\u200bwidth", "bell\x07", "isolate\u2066x\u2069", "x" * 101],
)
def test_control_bidi_and_overlong_terms_are_refused(typed: str) -> None:
    with pytest.raises(InputError):
        terms_normalise(typed)


def test_markup_is_kept_as_plain_text() -> None:
    assert terms_normalise("<script>alert(1)</script>") == ["<script>alert(1)</script>"]


def test_author_names_are_one_per_line_with_commas_allowed() -> None:
    assert names_normalise("LeCun, Yann\n  Geoffrey   Hinton \nlecun, yann") == [
        "LeCun, Yann",
        "Geoffrey Hinton",
    ]
