"""Ingest benchmark: synthetic arXiv JSON lines into PostgreSQL, against baselines in the same run.

    .venv/bin/python bench/ingest.py [--records 100000] [--repeats 3] [--naive-sample 2000]

Creates (and drops) its own database `digest_bench` on the server named by BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/digest_bench). Prints, as medians of the repeats:
parse-only rate of the Python path, and of the compiled path that parses and prepares records in
the parser processes (digest/ingest/_arxiv_fast.c, where it was built); first ingest (all new) and
re-ingest (all unchanged) in papers/s; the admin search documents that a task writes after a run;
the CPU time per paper of the parsers, the storing process and the database server (see
cpu_seconds); the naive `update_or_create`-per-record loader (on a sample, extrapolated rate) and a
bare `COPY` of the same records into a table without indexes (the ceiling); and the peak memory of a
first ingest (PSS of the ingesting process and its parser processes, measured in a fresh process).
Each first ingest starts on emptied tables after a CHECKPOINT, so no run pays for the last one's
dirty pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "model",
    "learning",
    "neural",
    "network",
    "data",
    "training",
    "language",
    "large",
    "graph",
    "image",
    "vision",
    "transformer",
    "attention",
    "diffusion",
    "representation",
    "optimisation",
    "gradient",
    "stochastic",
    "convex",
    "bound",
    "theorem",
    "proof",
    "quantum",
    "field",
    "energy",
    "spin",
    "lattice",
    "phase",
    "transition",
    "galaxy",
    "star",
    "dark",
    "matter",
    "cosmology",
    "survey",
    "protein",
    "molecule",
    "chemical",
    "reaction",
    "catalyst",
    "robust",
    "efficient",
    "scalable",
    "novel",
    "approach",
    "method",
    "results",
    "show",
    "propose",
    "demonstrate",
    "experiments",
    "benchmark",
    "state-of-the-art",
    "performance",
    "accuracy",
    "we",
    "our",
    "this",
    "that",
    "these",
    "with",
    "from",
    "into",
    "over",
    "under",
    "between",
    "across",
    "within",
    "without",
    "about",
]
FIRST = [
    "Yann",
    "Geoffrey",
    "Yoshua",
    "Ada",
    "Alan",
    "Grace",
    "Emmy",
    "Sofia",
    "Ming",
    "Wei",
    "Hiroshi",
    "Olga",
    "Pierre",
    "Marie",
    "Ahmed",
    "Priya",
]
LAST = [
    "LeCun",
    "Hinton",
    "Bengio",
    "Lovelace",
    "Turing",
    "Hopper",
    "Noether",
    "Kovalevskaya",
    "Zhang",
    "Wang",
    "Tanaka",
    "Ivanova",
    "Curie",
    "Dubois",
    "Hassan",
    "Patel",
    "Müller",
    "Núñez",
    "Østergaard",
    "Smith",
    "Jones",
    "Garcia",
    "Rossi",
    "Kim",
    "Nguyen",
    "Silva",
]
CATEGORIES = [
    "cs.LG",
    "cs.AI",
    "cs.CL",
    "cs.CV",
    "stat.ML",
    "math.OC",
    "quant-ph",
    "hep-th",
    "astro-ph.CO",
    "cond-mat.str-el",
]


def generate(path: Path, count: int, seed: int = 7) -> None:
    """Write `count` synthetic snapshot lines, streamed so memory stays flat."""
    rng = random.Random(seed)
    # ~40k distinct people, so authors repeat across papers as they do on arXiv.
    people = [
        f"{first} {chr(65 + i % 26)}. {last}{i // 26 or ''}"
        for i, (first, last) in enumerate((rng.choice(FIRST), rng.choice(LAST)) for _ in range(40_000))
    ]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            authors = rng.sample(people, rng.randint(1, 8))
            versions = [
                {"version": f"v{v}", "created": f"Mon, {1 + v} Apr 2019 1{v}:00:00 GMT"}
                for v in range(1, rng.randint(1, 3) + 1)
            ]
            row = {
                "id": f"{19 + n // 1_000_000:02d}{1 + (n // 99_999) % 12:02d}.{n % 99_999:05d}",
                "submitter": authors[0],
                "authors": ", ".join(authors),
                "title": " ".join(rng.choices(WORDS, k=rng.randint(6, 15))).capitalize(),
                "comments": "12 pages",
                "journal-ref": None,
                "doi": None,
                "report-no": None,
                "categories": " ".join(rng.sample(CATEGORIES, rng.randint(1, 3))),
                "license": None,
                "abstract": " ".join(rng.choices(WORDS, k=rng.randint(100, 250))) + ".",
                "versions": versions,
                "update_date": "2019-04-05",
                "authors_parsed": [[a.split(" ", 1)[1], a.split(" ", 1)[0], ""] for a in authors],
            }
            out.write(json.dumps(row) + "\n")


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def median_rate(count: int, seconds: list[float]) -> float:
    return count / statistics.median(seconds)


class MemoryPeak:
    """The largest proportional set size (PSS) of this process and its children together, sampled
    every 20 ms while in use. PSS splits the pages a forked parser shares with this process between
    them, so the sum is the memory the run really holds (RSS would count shared pages twice)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> MemoryPeak:
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in (me, *_children(me))))


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass  # the process ended between listing and reading
    return 0


def memory_of_ingest(path: str) -> None:
    """Run in a fresh process by main(): ingest `path` into the (empty) benchmark database and print
    the peak PSS as JSON."""
    import django

    django.setup()
    import logging

    from digest.papers.services import ingest_location

    logging.getLogger("digest.papers.services").setLevel(logging.WARNING)
    with MemoryPeak() as memory:
        ingest_location(location=path, format="arxiv-jsonl")
    print(json.dumps({"peak_pss_kb": memory.peak_kb}))


def cpu_seconds(connection: Any) -> dict[str, float]:
    """CPU seconds so far of this process (its threads), of its finished children (the parser
    processes) and, when the database server runs on this machine, of the whole machine: the
    server's share is what the machine spent beyond this process and its children (a run's writer
    thread opens a connection of its own, whose server process is gone by the time it could be read)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = {
        "parsers": children.ru_utime + children.ru_stime,
        "storing": own.ru_utime + own.ru_stime,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    if not Path(f"/proc/{pid}").exists():
        return seconds  # a remote server
    # The first line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal, ... ticks.
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    seconds["machine"] = busy / os.sysconf("SC_CLK_TCK")
    return seconds


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    spent = {name: after[name] - before[name] for name in after if name in before}
    if "machine" in spent:
        spent["database"] = spent.pop("machine") - spent["parsers"] - spent["storing"]
    return spent


def database_create(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--keep-db", action="store_true", help="Leave the benchmark database behind")
    parser.add_argument("--memory-of", metavar="PATH", help=argparse.SUPPRESS)  # see memory_of_ingest
    args = parser.parse_args()
    if args.memory_of:
        memory_of_ingest(args.memory_of)
        return

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/digest_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="digest-bench-"))
    os.environ.pop("CELERY_BROKER_URL", None)
    database_create(url)

    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.db import DatabaseError, connection

    from digest.ingest.formats.arxiv_snapshot import fast_path, parse_jsonl
    from digest.papers.models import Author, IngestRun, Paper, PaperAuthor
    from digest.papers.search_index import search_documents_index
    from digest.papers.services import ingest_location

    logging.getLogger("digest.papers.services").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)

    def truncate() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {PaperAuthor._meta.db_table}, {Paper._meta.db_table} CASCADE;"
                f"TRUNCATE {Author._meta.db_table} CASCADE"
            )
            # Each timed run starts without the dirty pages of the one before (a run writes some
            # 300 MB of WAL and pages): the server's own checkpoints then fall where that run puts them.
            with suppress(DatabaseError):  # it takes a superuser or pg_checkpoint: noisier without
                cursor.execute("CHECKPOINT")

    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "synthetic.jsonl"
            count = args.records
            generate(data, count)
            size_mb = data.stat().st_size / 1e6
            print(
                f"{count:,} synthetic arXiv records, {size_mb:.0f} MB of JSON lines, {args.repeats} repeat(s), "
                "full product schema"
            )

            def parse_only(fast: Any = None) -> None:
                with data.open("rb") as stream:
                    for _ in parse_jsonl(stream, fast=fast):
                        pass

            parse_s = [timed(parse_only) for _ in range(args.repeats)]
            # What a parser process does with a record: prepared in C where that was built.
            compiled = fast_path(postgres=True)
            compiled_s = (
                [timed(lambda: parse_only(compiled)) for _ in range(args.repeats)] if compiled else []
            )

            first_s, again_s, search_s = [], [], []
            cpu: dict[str, list[float]] = {"parsers": [], "storing": [], "database": []}
            for repeat in range(args.repeats):
                truncate()
                run: IngestRun | None = None

                def ingest() -> None:
                    nonlocal run
                    run = ingest_location(location=str(data), format="arxiv-jsonl")

                before = cpu_seconds(connection)
                first_s.append(timed(ingest))
                for name, spent in cpu_spent(before, cpu_seconds(connection)).items():
                    cpu[name].append(spent)
                assert run is not None and run.new == count, f"expected {count} new, got {run}"
                # The search index task's work after such a run, timed on its own.
                search_s.append(timed(search_documents_index))
                again_s.append(timed(ingest))
                assert run.unchanged == count and not run.new and not run.updated, run
                if repeat == 0:
                    links = PaperAuthor.objects.count()
                    authors = Author.objects.count()
                    with_categories = Paper.objects.exclude(categories="").count()
            # Memory apart from the timed runs (sampling costs CPU time), in a fresh process like
            # a worker's, whose heap this process's parsing and sampling have not grown.
            truncate()
            connection.close()
            peak_pss_mb = (
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--memory-of", str(data)],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                )["peak_pss_kb"]
                / 1024
            )
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            # Ingestion parses in a forked child process; its peak counts too.
            child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

            # Baseline: the naive loader, one update_or_create (+ authors) per record, on a sample.
            truncate()
            sample = []
            with data.open("rb") as stream:
                for record in parse_jsonl(stream):
                    sample.append(record)
                    if len(sample) == args.naive_sample:
                        break

            def naive() -> None:
                for record in sample:
                    paper, _ = Paper.objects.update_or_create(
                        key=record.key,
                        defaults={
                            "arxiv_id": record.arxiv_id,
                            "arxiv_version": record.arxiv_version,
                            "title_key": record.title_key,
                            "title": record.title,
                            "abstract": record.abstract,
                            "author_names": record.authors,
                            "categories": " ".join(record.categories),
                            "published_at": record.published_at,
                        },
                    )
                    for position, name in enumerate(record.authors):
                        from digest.ingest.normalise import author_key, author_match_key

                        author, _ = Author.objects.get_or_create(
                            key=author_key(name), defaults={"name": name, "match_key": author_match_key(name)}
                        )
                        PaperAuthor.objects.update_or_create(
                            paper=paper, position=position, defaults={"author": author}
                        )

            naive_s = [timed(naive)]

            # Ceiling: the same records COPYed into a bare table, no indexes, no dedup, no authors table.
            def bare_copy() -> None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare "
                        "(id text, title text, abstract text, authors text, categories text, published text)"
                    )
                    with data.open("rb") as stream, cursor.copy("COPY bench_bare FROM STDIN") as copy:
                        for line in stream:
                            row = json.loads(line)
                            copy.write_row(
                                (
                                    row["id"],
                                    row["title"],
                                    row["abstract"],
                                    row["authors"],
                                    row["categories"],
                                    row["versions"][0]["created"],
                                )
                            )

            copy_s = [timed(bare_copy) for _ in range(args.repeats)]

        ingest_rate = median_rate(count, first_s)
        again_rate = median_rate(count, again_s)
        copy_rate = median_rate(count, copy_s)
        naive_rate = median_rate(len(sample), naive_s)
        print(
            f"parse only (no database)        {median_rate(count, parse_s):>10,.0f} records/s  (Python path)"
        )
        if compiled_s:
            print(
                f"parse and prepare, compiled path {median_rate(count, compiled_s):>9,.0f} records/s  "
                "(what a parser process does; digest/ingest/_arxiv_fast.c)"
            )
        else:
            print("the compiled path was not built: every record took the Python path")
        print(
            f"ingest, all new                 {ingest_rate:>10,.0f} papers/s  "
            f"({statistics.median(first_s):.1f}s; {authors:,} authors, {links:,} authorships, "
            f"{with_categories:,} papers with categories)"
        )
        print(
            f"re-ingest, all unchanged        {again_rate:>10,.0f} papers/s  ({statistics.median(again_s):.1f}s)"
        )
        print(
            f"search documents, after a run   {median_rate(count, search_s):>10,.0f} papers/s  "
            f"({statistics.median(search_s):.1f}s; the admin search's, written by a task after ingesting)"
        )
        spent = {name: statistics.median(values) * 1e6 / count for name, values in cpu.items() if values}
        print(
            "CPU per new paper: "
            + ", ".join(f"{name} {micros:.0f} µs" for name, micros in spent.items())
            + (" (the database server with the rest of the machine)" if "database" in spent else "")
            + f"; {sum(spent.values()):.0f} µs in all ({os.cpu_count()} cores)"
        )
        print(f"naive update_or_create loader   {naive_rate:>10,.0f} papers/s  (on {len(sample):,} records)")
        print(f"bare COPY ceiling               {copy_rate:>10,.0f} records/s")
        print(
            f"ratios: ingest {ingest_rate / naive_rate:.1f}x naive, {ingest_rate / copy_rate:.0%} of bare COPY; "
            f"re-ingest {again_rate / ingest_rate:.1f}x first ingest"
        )
        print(
            f"peak memory of a first ingest {peak_pss_mb:.0f} MB (PSS of the ingesting process and its "
            f"parser processes together); peak RSS {peak_mb:.0f} MB (this process, whole run), "
            f"{child_peak_mb:.0f} MB (largest parser process, counting pages shared with this one)"
        )
    finally:
        connection.close()
        if not args.keep_db:
            database_drop(url)


if __name__ == "__main__":
    main()
