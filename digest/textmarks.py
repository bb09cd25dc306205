"""Accents off at C speed: shared by ingestion's keys and matching's folding. Pure Python."""

from __future__ import annotations

import unicodedata


class _CombiningMarks(dict[int, int | None]):
    """A str.translate table deleting combining marks, filled in as characters are first met (a
    full table would mean scanning all of Unicode); after that each lookup runs at C speed. It is
    bounded by the number of code points in Unicode."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_COMBINING = _CombiningMarks()


def strip_marks(text: str) -> str:
    """Text without combining marks; decompose it first (NFKD) so that accents are marks."""
    return text.translate(_COMBINING)
