"""Load benchmark of a 50-entry topic feed served by gunicorn on PostgreSQL, measured with wrk.

Reports requests/second and p50/p99 latency for three kinds of GET in one run:
- uncached: every request is for a feed never rendered before (a distinct topic each time), so the
  full path runs (version query, ranking, 50 entries rendered by feedgen, cache write);
- cached: the same feed again (one version query, body from the cache);
- 304: conditional GETs with the current ETag (one version query, empty body).

Usage: .venv/bin/python bench/feeds.py [--papers 5000] [--duration 10] [--workers N] [--threads 2]
Needs PostgreSQL and Redis (scripts/services.sh) and Debian's wrk. Uses its own database
(digest_feeds_bench), Redis db 8 and port 8401 unless told otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "learning",
    "model",
    "diffusion",
    "language",
    "vision",
    "transformer",
    "attention",
    "robust",
    "sparse",
    "optimisation",
    "kernel",
    "bayesian",
    "inference",
    "causal",
    "policy",
    "reward",
    "agent",
    "token",
    "embedding",
    "retrieval",
    "benchmark",
    "dataset",
    "scaling",
    "protein",
    "molecule",
    "physics",
    "quantum",
    "stochastic",
    "gradient",
]

LUA_UNCACHED = """
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  span = tonumber(args[1])
  base = id * span
end
function request()
  local slug = string.format("bench-%05d", base + (counter % span))
  counter = counter + 1
  return wrk.format("GET", "/feeds/topics/" .. slug .. ".rss")
end
"""

LUA_CONDITIONAL = """
wrk.headers["If-None-Match"] = '%s'
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    # Two single-GIL workers per core, as `make web`: with one per core, wrk's keep-alive
    # connections often land mostly on one worker and the other core idles (cached 900-3,000 req/s
    # from run to run with 2x4 on 2 cores; 2,400-3,300 with 4x2).
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=2, help="gthread threads per worker")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8401")))
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/digest_feeds_bench")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="rank with sentence embeddings too (computed for every paper while seeding; slow on CPU)",
    )
    parser.add_argument("--reuse-db", action="store_true", help="keep the seeded database of an earlier run")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"))
    return parser.parse_args()


def configure(args: argparse.Namespace, var_dir: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-the-check",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "digest.settings",
        "MATCH_SEMANTIC": "1" if args.semantic else "0",
    }
    os.environ.update(env)
    return {**os.environ, **env, "PYTHONPATH": str(ROOT)}


def database_reset(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(papers: int, topics: int) -> None:
    """`papers` papers with three authors each; `topics` topics over the same keyword, so each topic
    feed holds 50 entries and each is a feed never rendered before."""
    import random
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from digest.papers.models import Author, Paper, PaperAuthor, Topic

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    now = timezone.now()
    authors = Author.objects.bulk_create(
        [Author(name=f"Author {i}", key=f"author {i}", match_key=f"author {i}") for i in range(papers // 2)]
    )
    batch = []
    # A realistic term distribution: a large vocabulary, and one paper in ten about graph networks.
    vocabulary = WORDS + [f"{rng.choice(WORDS)[:4]}{n}" for n in range(3000)]
    for i in range(papers):
        words = rng.choices(vocabulary, k=160)
        if i % 10 == 0:
            words[3:6] = ["graph", "neural", "network"]
        batch.append(
            Paper(
                key=f"2401.{i:05d}",
                arxiv_id=f"2401.{i:05d}",
                title_key=f"t{i}",
                title=" ".join(words[:9]).capitalize() + f" ({i})",
                abstract=" ".join(words) + " with $\\mathcal{O}(n^2)$ cost — résumé.",
                categories="cs.LG stat.ML",
                primary_category="cs.LG",
                published_at=now - timedelta(minutes=7 * i),
                first_seen_at=now - timedelta(minutes=7 * i),
                modified_at=now - timedelta(minutes=7 * i),
            )
        )
    created = Paper.objects.bulk_create(batch, batch_size=1000)
    links = []
    for paper in created:
        chosen = rng.sample(authors, 3)
        paper.author_names = [a.name for a in chosen]
        links += [PaperAuthor(paper=paper, author=a, position=n) for n, a in enumerate(chosen)]
    Paper.objects.bulk_update(created, ["author_names"], batch_size=1000)
    PaperAuthor.objects.bulk_create(links, batch_size=5000)
    Topic.objects.bulk_create(
        [
            Topic(name=f"Graphs {i}", slug=f"bench-{i:05d}", keywords="graph\nneural network")
            for i in range(topics)
        ]
    )
    from digest.matching.services import embeddings_ensure

    # As the matching task does in production, before anyone reads a feed.
    embeddings_ensure(paper_ids=[p.pk for p in created])
    call_command("shell", command="from django.db import connection; connection.cursor().execute('ANALYZE')")


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url}")


def _workers_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's workers (the master's children), from /proc."""
    total = 0.0
    for task in Path(f"/proc/{master}/task").iterdir():
        for child in (task / "children").read_text().split():
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drain(url: str, master: int, deadline: float) -> None:
    """Wait until renders still running from a previous run are done and the feed answers fast.

    wrk stops at its deadline, not the server: renders it started go on for seconds. A fast answer
    alone does not show they are done (it may come from the other worker), so first wait until the
    workers are idle."""
    while time.monotonic() < deadline:
        before = _workers_cpu_seconds(master)
        time.sleep(0.5)
        if _workers_cpu_seconds(master) - before < 0.05:
            break
    while time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.2)
    raise RuntimeError("the server stayed busy")


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    threads: int = 2,
    timeout: int = 5,
    script: str | None = None,
    args: list[str] = (),
) -> dict[str, float]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        f"{timeout}s",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
    if script:
        command += ["-s", lua.name]
    command.append(url)
    if args:
        command += ["--", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    out = result.stdout
    os.unlink(lua.name)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),
        "non2xx": float(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0.0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk, or scripts/services.sh)")
    var_dir = tempfile.mkdtemp(prefix="feeds-bench-")
    env = configure(args, var_dir)
    topics = 4000
    import django

    if args.reuse_db:
        django.setup()
    else:
        print(f"seeding {args.papers} papers and {topics} topics into {args.database} ...", flush=True)
        database_reset(args.database)
        django.setup()
        seed(args.papers, topics)
    import redis

    redis.Redis.from_url(args.redis).flushdb()

    bind = f"127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "digest.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        # Its own process group, so the workers go with it whatever state the master ends in.
        start_new_session=True,
    )
    try:
        base = f"http://{bind}"
        feed = f"{base}/feeds/topics/bench-00000.rss"
        wait_until_up(base + "/feeds/latest.rss", time.monotonic() + 60)
        with urllib.request.urlopen(feed) as response:
            body = response.read()
            etag = response.headers["ETag"]
        entries = body.count(b"<item>")
        print(f"topic feed: {entries} entries, {len(body)} bytes, ETag {etag}", flush=True)
        if entries != 50:
            sys.exit("the benchmark feed should hold 50 entries")

        # Warm every worker's connection and memo before the timed runs.
        wrk(feed, duration=2, connections=args.connections)
        # A render ranks the whole window of papers, so one request in flight per worker (more would
        # only queue behind each other and measure the queue) and a longer run for enough samples.
        span = topics - 1
        uncached = wrk(
            base + "/",
            duration=max(args.duration, 30),
            connections=args.workers,
            threads=1,
            timeout=60,
            script=LUA_UNCACHED,
            args=[str(span)],
        )
        drain(feed, server.pid, time.monotonic() + 120)
        results = {
            "uncached": uncached,
            "cached": wrk(feed, duration=args.duration, connections=args.connections),
            "304": wrk(
                feed, duration=args.duration, connections=args.connections, script=LUA_CONDITIONAL % etag
            ),
        }
    finally:
        # SIGTERM, the graceful stop: the quick one (SIGINT) shuts a gthread worker's pool down inside
        # a signal handler, which deadlocks when the signal lands in the pool's submit
        # (python/cpython#121649), leaving that worker behind holding our stdout.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.rmtree(var_dir, ignore_errors=True)

    uncached = results["uncached"]
    if uncached["requests"] > span:
        print(f"warning: the uncached run wrapped around its {span} topics; some hits were cached")
    print()
    print(
        f"gunicorn {args.worker_class} workers={args.workers} threads={args.threads}, wrk -t2 -c{args.connections} -d{args.duration}s, {args.papers} papers"
    )
    print(f"{'':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs uncached':>12} {'non-2xx/3xx':>12}")
    for name, r in results.items():
        ratio = r["rps"] / uncached["rps"] if uncached["rps"] else float("nan")
        print(
            f"{name:10} {r['rps']:10.1f} {r['p50']:8.2f} {r['p99']:8.2f} {ratio:11.1f}x {r['non2xx']:12.0f}"
        )
    targets = [
        ("cached >= 1000 req/s", results["cached"]["rps"] >= 1000),
        ("304 >= 2000 req/s", results["304"]["rps"] >= 2000),
        ("cached p99 < 50 ms", results["cached"]["p99"] < 50),
        ("304 p99 < 50 ms", results["304"]["p99"] < 50),
    ]
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print()
    for label, ok in targets:
        print(f"{'met ' if ok else 'MISSED'} {label}")


if __name__ == "__main__":
    main()
