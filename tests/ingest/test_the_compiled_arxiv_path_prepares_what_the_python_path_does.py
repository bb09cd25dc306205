"""digest/ingest/_arxiv_fast.c prepares the common arXiv snapshot record in a parser process. For
every row it accepts, its result must equal the Python path's to the last byte: the record's fields
(for PostgreSQL, those that cross to the storing process with the COPY text), content hash and COPY
text. A row it declines takes the Python path. So these tests feed both the
real sample and thousands of rows mangled in the ways real input goes wrong."""

from __future__ import annotations

import ast
import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest

from digest.ingest import normalise
from digest.ingest.formats import arxiv_snapshot
from digest.ingest.formats.arxiv_snapshot import arxiv_fast
from digest.ingest.records import PaperRecord, Prepared
from digest.papers import services
from digest.papers.models import Paper
from tests.ingest.conftest import ARXIV_CSV, Ingest

Row = dict[str, Any]


def _sample_rows() -> list[Row]:
    """The arXiv sample as the JSON snapshot writes it: lists instead of their Python repr, and
    ids as arXiv writes them (the CSV's spreadsheet mangled them)."""
    rows = []
    with ARXIV_CSV.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            parsed = normalise.arxiv_id_parse(row["id"])
            assert parsed is not None
            row["id"] = parsed[0]
            row["versions"] = ast.literal_eval(row["versions"])
            row["authors_parsed"] = ast.literal_eval(row["authors_parsed"])
            rows.append(row)
    return rows


SAMPLE = _sample_rows()


def _python_path(number: int, row: object, postgres: bool) -> Prepared | None:
    parsed = arxiv_snapshot._object_parse(number, row)
    if not isinstance(parsed, PaperRecord):
        return None
    return (parsed.to_tuple(), *services._prepared(parsed, postgres))


def _assert_prepared_alike(number: int, row: object) -> bool:
    """Whether the compiled path took the row; where it did, its result is the Python path's."""
    assert arxiv_fast is not None
    taken = False
    for postgres in (True, False):
        fast = arxiv_fast.prepared(postgres, number, row)
        if fast is None:
            continue
        taken = True
        python = _python_path(number, row, postgres)
        assert python is not None, f"the compiled path took a row the Python path rejects: {row!r}"
        # For PostgreSQL, both in the form that crosses to the storing process.
        expected = services._crossing(python)
        assert fast == expected, row
        assert [type(value) for value in fast[0]] == [type(value) for value in expected[0]]
        if not postgres:
            assert fast[0][8].tzinfo is expected[0][8].tzinfo
    return taken


def test_the_compiled_path_is_built() -> None:
    assert arxiv_fast is not None, "digest/ingest/_arxiv_fast.c was not built: `make install` needs gcc"


def test_every_sample_row_is_prepared_as_the_python_path_prepares_it() -> None:
    taken = sum(_assert_prepared_alike(number, row) for number, row in enumerate(SAMPLE, start=1))
    # The rows it declines are the ones with non-ASCII titles or abstracts.
    declined = [row for row in SAMPLE if not (row["title"].isascii() and row["abstract"].isascii())]
    assert taken == len(SAMPLE) - len(declined)
    assert taken > 1_900


def _text_mangled(rng: random.Random, text: str) -> str:
    pieces = [
        "\r\n",
        "\n\n",
        "\n  ",
        "\n \t\n",
        "\t",
        "\f",
        "\v",
        "  ",
        "\x00",
        "\x1f",
        "\x7f",
        "é",
        "\\",
        '"',
        " https://github.com/org/repo.git). ",
        " www.example.org/page, ",
        " \\url{http://x.io/a_(b)} ",
        "$^2$",
        "<b>",
    ]
    position = rng.randrange(len(text) + 1)
    return text[:position] + rng.choice(pieces) + text[position:]


def _date_mangled(rng: random.Random) -> object:
    return rng.choice(
        [
            "Mon, 2 Apr 2007 19:18:42 GMT",
            "Tue, 29 Feb 2000 00:00:00 GMT",
            "Tue, 29 Feb 2001 00:00:00 GMT",
            "Mon, 02 Apr 2007 19:18:42 GMT",
            "Mon, 2 apr 2007 19:18:42 GMT",
            "Mon, 2 Apr 2007 24:00:00 GMT",
            "Mon, 2 Apr 2007 9:18:42 GMT",
            "Mon, 2 Apr 2007 19:18:42 +0000",
            "2 Apr 2007 19:18:42 GMT",
            "Mon,  2 Apr 2007\t19:18:42 GMT ",
            "Mon, 2 Apr 0000 19:18:42 GMT",
            "Mon, 31 Dec 1969 23:59:59 GMT",
            "",
            None,
            7,
        ]
    )


def _row_mangled(rng: random.Random, row: Row) -> object:
    row = json.loads(json.dumps(row))
    change = rng.randrange(12)
    if change == 0:
        field = rng.choice(["title", "abstract"])
        for _ in range(rng.randint(1, 3)):
            row[field] = _text_mangled(rng, row[field])
    elif change == 1:
        row[rng.choice(["title", "abstract"])] = rng.choice(
            [
                "",
                "   \n ",
                None,
                3,
                ["a"],
                "x" * 1_001,
                "y " * 10_001,
                "  Lead and trail  ",
                " and ".join(f"https://github.com/o/r{n} www.site{n}.org" for n in range(12)),
            ]
        )
    elif change == 2:
        row["id"] = rng.choice(
            [
                row["id"] + "v3",
                row["id"] + "v0",
                row["id"] + "V2",
                row["id"] + "v",
                row["id"] + "v1234567890",
                "arXiv:" + row["id"],
                " " + row["id"],
                row["id"] + ".pdf",
                "704.0010",
                "2401.123456",
                "hep-th/9901001",
                "hep-th/9901001v12",
                "math.GT/0309136",
                "math.G/0309136",
                "cond-mat/990100",
                "Hep-Th/9901001",
                "",
                None,
                42,
            ]
        )
    elif change == 3:
        row["versions"] = rng.choice([[], None, "[]", [None], [{"version": "v1"}], {"v": 1}])
    elif change == 4:
        versions = [
            {
                "version": rng.choice(["v1", "v2", "v0", "v", "vx", "2", 3, "v99", "v٣"]),
                "created": _date_mangled(rng),
            }
            for _ in range(rng.randint(1, 3))
        ]
        if rng.random() < 0.3:
            versions[-1] = versions[0]
        if rng.random() < 0.2:
            del versions[-1]["version"]
        row["versions"] = versions
    elif change == 5:
        row["authors_parsed"] = rng.choice(
            [
                None,
                [],
                "[['A', 'B', '']]",
                [["Smith", "John", ""], ["Smith", "John", ""], ["Doe", "", ""], ["", "Jane", ""]],
                [["Solo"], [], "stray", ["Lovelace", "Ada", "Jr."], ["Ng", "Andrew", None]],
                [["Balázs", "C.", ""], [" Yuan ", " C.-P. ", " II "], ["O'Neil", "X\tY", ""]],
                [["Doe", 'J. "Jack"', ""], ["Smith", "", "Jr."]],
                [["Back\\slash", "A.", ""]],
                [[3, "A", ""]],
                [["A" * 301, "B", ""]],
                [[f"Name{n}", "A.", ""] for n in range(250)],
                [["\x00Bad", "Control", ""]],
                [["   ", "  ", ""]],
                [[" Leading"], ["Trailing "], ["Le  Cun", "Yann", ""], ["Smith", "Jane", " "]],
                [["-"], ["O'Brien", "", ""], ["Ng", "A.-Y.", "III"], ["van der Berg", "K_L", ""]],
                [["Long" * 60, "Name", ""], ["A" * 299, "", ""]],
            ]
        )
    elif change == 6:
        row["authors_parsed"] = None
        row["authors"] = rng.choice(["A. Smith and B. Jones, C. Wu", " , ,", "Solo", None, 5])
    elif change == 7:
        row["categories"] = rng.choice(
            [
                "cs.LG cs.LG stat.ML",
                "  cs.AI\tmath.OC ",
                "9bad cs.LG",
                "ünï cs.LG",
                "a" * 65,
                " ".join(f"cs.X{n}" for n in range(120)),
                "",
                None,
                ["cs.LG"],
            ]
        )
    elif change == 8:
        del row[rng.choice(["id", "title", "abstract", "versions", "authors_parsed", "categories"])]
    elif change == 9:
        row["abstract"] = row["abstract"].replace(
            "\n", rng.choice(["\r\n", "\r", "\n\n", "\n\t", "\n \n", "\f", "\v", " \f "])
        )
    elif change == 10:
        return rng.choice([[row], "a string", 7, None])
    else:
        row["title"] = (
            rng.choice(["", " "])
            + row["title"]
            + rng.choice(["", " ", "\\", "\t", "é", " —", " https://a.io"])
        )
    return row


def test_mangled_rows_are_prepared_alike_or_left_to_the_python_path() -> None:
    rng = random.Random(20261201)
    taken = 0
    for number in range(1, 6_001):
        row = _row_mangled(rng, rng.choice(SAMPLE))
        taken += _assert_prepared_alike(number, row)
    # Most mangling leaves a row the compiled path still takes: the comparison is not vacuous.
    assert taken > 2_000


def _snapshot(path: Path, rows: list[Row]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _papers() -> list[tuple[Any, ...]]:
    return list(
        Paper.objects.order_by("key").values_list(
            "key", "title", "abstract", "author_names", "categories", "published_at", "content_hash"
        )
    )


def test_a_snapshot_stored_through_the_compiled_path_is_unchanged_through_the_python_path(
    ingest: Ingest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _snapshot(tmp_path / "snapshot.jsonl", SAMPLE)
    first = ingest(path)
    assert (first.new, first.rejected) == (2_000, 0)
    stored = _papers()
    monkeypatch.setattr(arxiv_snapshot, "arxiv_fast", None)
    again = ingest(path)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2_000)
    assert _papers() == stored


def test_the_python_path_alone_stores_what_the_compiled_path_stores(
    ingest: Ingest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _snapshot(tmp_path / "snapshot.jsonl", SAMPLE[:300])
    monkeypatch.setattr(arxiv_snapshot, "arxiv_fast", None)
    ingest(path)
    by_python = _papers()
    Paper.objects.all().delete()
    monkeypatch.undo()
    ingest(path)
    assert _papers() == by_python


def test_hostile_input_never_reaches_the_database_unchecked() -> None:
    assert arxiv_fast is not None
    row: Row = {**SAMPLE[0], "title": "ok\x00title"}
    assert arxiv_fast.prepared(True, 1, row) is None
    assert isinstance(arxiv_snapshot._object_parse(1, row), arxiv_snapshot.Reject)
