from __future__ import annotations

import pytest

from digest.ingest.normalise import arxiv_id_parse


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.01234", ("2401.01234", None)),
        ("2401.01234v3", ("2401.01234", 3)),
        ("arXiv:2401.01234v2", ("2401.01234", 2)),
        ("http://arxiv.org/abs/2401.01234v2", ("2401.01234", 2)),
        ("https://arxiv.org/pdf/2401.01234v1.pdf", ("2401.01234", 1)),
        ("oai:arXiv.org:2401.01234v1", ("2401.01234", 1)),
        ("0704.0001", ("0704.0001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.CO/0601001", ("math.CO/0601001", None)),
        # Spreadsheet damage: leading and trailing zeros dropped.
        ("704.0001", ("0704.0001", None)),
        ("704.001", ("0704.0010", None)),
        ("704.1", ("0704.1000", None)),
        ("1501.1", ("1501.10000", None)),
    ],
)
def test_arxiv_ids_in_every_spelling(raw: str, expected: tuple[str, int | None]) -> None:
    assert arxiv_id_parse(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "not-an-id", "http://example.org/abs/2401.01234", "2401", "12345.678901"]
)
def test_things_that_are_not_arxiv_ids(raw: str) -> None:
    assert arxiv_id_parse(raw) is None
