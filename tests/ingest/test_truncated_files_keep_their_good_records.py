from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.ingest.errors import IngestError
from digest.papers.models import IngestRun, Paper
from tests.ingest.conftest import ARXIV_CSV, DATA, HF_PAGES, Ingest


def cut(path: Path, fraction: float) -> bytes:
    data = path.read_bytes()
    return data[: int(len(data) * fraction)]


def test_a_truncated_json_lines_file(ingest: Ingest, write: Callable[[str, bytes], Path]) -> None:
    data = (DATA / "snapshot.jsonl").read_bytes()
    run = ingest(write("cut.jsonl", data[: data.rindex(b'"abstract"')]))
    assert run.status == IngestRun.Status.DONE
    assert (run.new, run.rejected) == (2, 1)
    assert run.rejects[0]["record"] == 3 and run.rejects[0]["reason"].startswith("invalid JSON")


def test_a_truncated_atom_feed(ingest: Ingest, write: Callable[[str, bytes], Path]) -> None:
    data = (DATA / "arxiv-api.atom").read_bytes()
    run = ingest(write("cut.atom", data[: data.index(b"<title>Gau")]))
    assert (run.new, run.rejected) == (1, 1)
    assert "truncated" in run.rejects[0]["reason"]
    assert Paper.objects.get().arxiv_id == "2403.12345"


def test_a_truncated_hf_page(ingest: Ingest, write: Callable[[str, bytes], Path]) -> None:
    data = HF_PAGES[1].read_bytes()
    lines = data.split(b"\n")
    # End right after a title line: its abstract is missing.
    run = ingest(write("cut.txt", b"\n".join(lines[:19])))
    assert run.new == 2
    assert run.rejects == [{"record": 19, "reason": "title without an abstract (file truncated?)"}]


def test_a_truncated_csv(ingest: Ingest, write: Callable[[str, bytes], Path]) -> None:
    run = ingest(write("cut.csv", cut(ARXIV_CSV, 0.01)))
    assert run.format == "arxiv-csv"
    assert run.new >= 10
    assert run.rejected == 1


@pytest.mark.parametrize("copies", [1, 400], ids=["cut inside the head", "cut while streaming"])
def test_a_truncated_gzip_file_fails_in_one_line(
    ingest: Ingest, write: Callable[[str, bytes], Path], copies: int
) -> None:
    packed = gzip.compress((DATA / "snapshot.jsonl").read_bytes() * copies)
    with pytest.raises(IngestError, match="compressed input is truncated or corrupt"):
        ingest(write("cut.jsonl.gz", packed[: len(packed) - 12]))
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED
