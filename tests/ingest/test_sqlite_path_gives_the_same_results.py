"""The embedded SQLite write path (executemany) leaves the same papers behind as PostgreSQL's COPY
path, with the same counts, for a sequence exercising versions, cross-source merges and rejects."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from digest.papers.models import Paper, PaperAuthor
from tests.ingest.conftest import DATA, HF_PAGES, ROOT, Ingest

# Run inside one `manage.py shell` on SQLite: migrate, ingest each file, dump what is stored.
EMBEDDED = """
import io, json, sys
from django.core.management import call_command
from digest.papers.models import Paper, PaperAuthor
call_command("migrate", verbosity=0)
lines = []
for path in sys.argv[-1].split("|"):
    out = io.StringIO()
    call_command("ingest", path, stdout=out, stderr=io.StringIO())
    lines.append(out.getvalue().strip().splitlines()[-1])
papers = [
    [p.key, p.arxiv_id, p.arxiv_version, p.title, p.abstract, p.author_names, p.categories, p.sources,
     p.upvotes, p.code_urls, p.project_urls, p.has_code, p.published_at.isoformat(), p.content_hash]
    for p in Paper.objects.order_by("key")
]
links = sorted([l.paper.key, l.position, l.author.key, l.author.match_key] for l in PaperAuthor.objects.select_related("paper", "author"))
print(json.dumps({"lines": lines, "papers": papers, "links": links}))
"""


def sequence(tmp_path: Path) -> list[Path]:
    bad = tmp_path / "bad.jsonl"
    good = '{"id": "2401.00009", "title": "Ok", "abstract": "Fine", "update_date": "2024-01-09"}'
    bad.write_text(good + "\n{broken\n", encoding="utf-8")
    return [
        HF_PAGES[3],
        DATA / "hf-daily-papers.json",
        DATA / "arxiv-api.atom",
        DATA / "snapshot.jsonl",
        DATA / "arxiv-listing.rss",
        bad,
        DATA / "arxiv-api.atom",
    ]


def counts(line: str) -> str:
    return re.sub(r" in \d+\.\ds$", "", line.strip())


def test_sqlite_and_postgresql_store_the_same_papers(ingest: Ingest, tmp_path: Path) -> None:
    assert connection.vendor == "postgresql"
    files = sequence(tmp_path)
    pg_lines = []
    for path in files:
        from digest.papers.services import ingest_summary

        pg_lines.append(counts(ingest_summary(ingest(path))))
    pg_dump = {
        "papers": [
            [
                p.key,
                p.arxiv_id,
                p.arxiv_version,
                p.title,
                p.abstract,
                p.author_names,
                p.categories,
                p.sources,
                p.upvotes,
                p.code_urls,
                p.project_urls,
                p.has_code,
                p.published_at.isoformat(),
                p.content_hash,
            ]
            for p in Paper.objects.order_by("key")
        ],
        "links": sorted(
            [link.paper.key, link.position, link.author.key, link.author.match_key]
            for link in PaperAuthor.objects.select_related("paper", "author")
        ),
    }

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "VAR_DIR": str(settings.VAR_DIR),
    }
    env.pop("CELERY_BROKER_URL", None)

    script = tmp_path / "embedded.py"
    script.write_text(EMBEDDED, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); exec(open({str(script)!r}).read())",
            "|".join(str(path) for path in files),
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sqlite_dump = json.loads(result.stdout.strip().splitlines()[-1])
    sqlite_lines = [counts(line) for line in sqlite_dump["lines"]]

    assert sqlite_lines == pg_lines
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in pg_lines[5]
    assert pg_lines[6].endswith("0 new, 0 updated, 3 unchanged, 0 rejected")
    assert sqlite_dump["links"] == pg_dump["links"]
    assert sqlite_dump["papers"] == json.loads(json.dumps(pg_dump["papers"]))
