from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digest.papers.models import IngestRun
from tests.ingest.conftest import DATA, HF_PAGES

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_ends_with_one_summary_line() -> None:
    out, err = run_command(str(HF_PAGES[0]))
    assert re.fullmatch(
        rf"ingested {re.escape(str(HF_PAGES[0]))} \(hf-page\): 172 new, 0 updated, 0 unchanged, 0 rejected in \d+\.\ds\n",
        out,
    )
    assert err == ""  # no progress bar when not on a terminal


def test_rejected_records_are_listed_on_stderr(write: Callable[[str, str], Path]) -> None:
    path = write("bad.jsonl", '{"id": "2401.00001", "title": "T", "abstract": "A"}\n{oops\n')
    out, err = run_command(str(path), "--format", "arxiv-jsonl")
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in out
    assert "rejected record 2: invalid JSON" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary", "this is binary data"),
        (b"plain prose that is no known format", "could not recognise the format"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><feed>&a;</feed>", "refused for safety"),
    ],
)
def test_a_fatal_problem_exits_non_zero_with_one_line(
    write: Callable[[str, bytes], Path], content: bytes, message: str
) -> None:
    path = write("input.dat", content)
    with pytest.raises(CommandError) as raised:
        run_command(str(path))
    text = str(raised.value)
    assert message in text and "\n" not in text
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED


def test_missing_files_and_wrong_formats_are_named() -> None:
    with pytest.raises(CommandError, match=r"cannot open /nonexistent/file\.csv: No such file"):
        run_command("/nonexistent/file.csv")
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        run_command(str(DATA / "snapshot.jsonl"), "--format", "pdf")
    with pytest.raises(CommandError, match="only files and http"):
        run_command("ftp://example.org/papers.json")


def test_the_command_process_exits_non_zero(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from django.conf import settings

    from tests.ingest.conftest import ROOT

    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 100)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(settings.VAR_DIR),
    }
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest", str(bad)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: cannot ingest {bad}: this is binary data (a NUL byte at offset 0), not a text, JSON, CSV or XML file"
    ]
