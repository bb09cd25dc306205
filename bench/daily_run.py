"""A full daily run: PostgreSQL + Redis + one Celery worker with 2 processes + a local SMTP sink.

N subscribers (default: 10,000 then 100,000) against 1,000 new papers. Stages, each timed:

  match   the matching app's `process_new_papers` fanned out to the workers (Match rows written)
  due     the beat job: which subscribers are due, one Delivery row each, chunk tasks enqueued
  send    the workers prepare (pick papers), render and send every digest; the sink counts them

It then checks exactly-once delivery at the sink: every sent row arrived once, nothing else arrived.
Render and SMTP time inside `send` come from the workers' per-chunk logs.

Run: .venv/bin/python bench/daily_run.py [--subscribers 10000 [100000 ...]] [--papers 1000]
Uses its own database (digest_delivery_bench, recreated), Redis db 10 (cache) and 11 (broker),
SMTP port 2551. Needs the services of scripts/services.sh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "digest_delivery_bench"
PG = "postgres://postgres@127.0.0.1:5432"
SMTP_PORT = 2551
SEMANTIC = "--semantic" in sys.argv
SEED_MATCHES = "--seed-matches" in sys.argv
WORDS = [
    "diffusion",
    "transformer",
    "reinforcement",
    "graph",
    "retrieval",
    "robotics",
    "speech",
    "vision",
    "language",
    "agents",
    "quantization",
    "distillation",
    "alignment",
    "reasoning",
    "multimodal",
    "segmentation",
    "tracking",
    "detection",
    "compression",
    "sparsity",
    "federated",
    "privacy",
    "causal",
    "bayesian",
    "kernel",
    "optimization",
    "scaling",
    "benchmark",
    "tokenizer",
    "attention",
    "memory",
    "video",
    "audio",
    "protein",
    "molecule",
    "climate",
    "medical",
    "legal",
    "code",
    "math",
    "planning",
    "navigation",
    "manipulation",
    "simulation",
    "rendering",
    "nerf",
    "gaussian",
    "splatting",
]


# --- The SMTP sink (a separate process) ----------------------------------------------------------


def sink_main(port: int, out_path: str, ready: object) -> None:
    """A minimal, fast SMTP receiver: reads DATA in one piece up to CRLF.CRLF and counts messages
    per recipient. On SIGTERM it writes {recipient: count} to out_path."""
    counts: dict[str, int] = {}

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        rcpts: list[str] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n")
                elif verb == b"MAIL":
                    rcpts = []
                    writer.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    rcpts.append(line.split(b"<", 1)[1].split(b">", 1)[0].decode().lower())
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    for rcpt in rcpts:
                        counts[rcpt] = counts.get(rcpt, 0) + 1
                    writer.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:  # HELO, RSET, NOOP
                    rcpts = [] if verb == b"RSET" else rcpts
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(session, "127.0.0.1", port, limit=64 * 1024 * 1024)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        ready.set()  # type: ignore[attr-defined]
        async with server:
            await stop.wait()
        Path(out_path).write_text(json.dumps(counts))

    asyncio.run(serve())


# --- Setup -------------------------------------------------------------------------------------


def bench_env(var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "digest.settings",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": "redis://127.0.0.1:6379/10",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
            "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-the-check",
            "SITE_URL": "https://papers.example.org",
            "VAR_DIR": var_dir,
            "LOG_LEVEL": "WARNING",
            # Keyword/category matching; --semantic adds the sentence-embedding model (much slower).
            "MATCH_SEMANTIC": "1" if SEMANTIC else "0",
            "MATCH_CHUNK_SIZE": "100",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def database_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def seed(subscribers: int, papers: int) -> None:
    """Papers and subscribers in bulk SQL: a daily run's inputs, nothing matched or sent yet."""
    from django.db import connection

    words = WORDS
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO papers_paper (key, arxiv_id, title_key, title, abstract, author_names, categories,
                primary_category, sources, code_urls, project_urls, has_code, published_at, first_seen_at,
                modified_at, content_hash, hidden, featured)
            SELECT 'bench.' || i, '2611.' || lpad(i::text, 5, '0'), 'bench-' || i,
                initcap((%(w)s::text[])[1 + i %% %(n)s]) || ' ' || (%(w)s::text[])[1 + (i / 7) %% %(n)s] || ' for '
                    || (%(w)s::text[])[1 + (i / 3) %% %(n)s] || ': a study, part ' || i,
                'We study ' || (%(w)s::text[])[1 + i %% %(n)s] || ' and ' || (%(w)s::text[])[1 + (i / 7) %% %(n)s]
                    || ' with ' || (%(w)s::text[])[1 + (i / 3) %% %(n)s] || '. ' || repeat('Our results improve on prior work. ', 8),
                '["Ada Lovelace", "Alan Turing", "Grace Hopper"]'::jsonb, 'cs.LG', 'cs.LG', 'bench',
                CASE WHEN i %% 3 = 0 THEN '["https://github.com/example/code"]'::jsonb ELSE '[]'::jsonb END,
                '[]'::jsonb, i %% 3 = 0, now() - (i || ' minutes')::interval, now() - interval '1 hour', now(), '',
                false, false
            FROM generate_series(1, %(papers)s) AS i
            """,
            {"w": list(words), "n": len(words), "papers": papers},
        )
        cur.execute(
            """
            INSERT INTO subscriptions_subscriber (email, status, frequency, weekday, send_hour, timezone,
                papers_per_digest, email_format, keywords, excluded_terms, feed_token, token_version,
                pending_email, consent_text, consent_user_agent, created_at, confirmed_at, soft_bounces
                {extra_cols})
            SELECT 'reader' || i || '@bench.example', 'active',
                CASE WHEN i %% 5 = 0 THEN 'weekly' ELSE 'daily' END, i %% 7, 0,
                (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'])[1 + i %% 5],
                10, CASE WHEN i %% 10 = 0 THEN 'text' ELSE 'html' END,
                (%(w)s::text[])[1 + i %% %(n)s] || E'\\n' || (%(w)s::text[])[1 + (i / %(n)s) %% %(n)s], '',
                md5(random()::text || i), 1, '', 'bench', 'bench', now() - interval '30 days',
                now() - interval '30 days', 0 {extra_vals}
            FROM generate_series(1, %(subs)s) AS i
            """.format(**_subscriber_extra()),
            {"w": list(words), "n": len(words), "subs": subscribers},
        )


def _subscriber_extra() -> dict[str, str]:
    """Columns other apps added to Subscriber with NOT NULL and no database default."""
    from subscriptions.models import Subscriber

    known = {
        "id", "email", "status", "frequency", "weekday", "send_hour", "timezone", "papers_per_digest",
        "email_format", "keywords", "excluded_terms", "feed_token", "token_version", "pending_email",
        "consent_text", "consent_user_agent", "created_at", "confirmed_at", "soft_bounces",
        "consent_at", "consent_ip", "unsubscribed_at",
    }  # fmt: skip
    cols, vals = [], []
    for field in Subscriber._meta.concrete_fields:
        if field.column in known or field.null:
            continue
        default = field.get_default()
        cols.append(field.column)
        vals.append(
            "''"
            if isinstance(default, str)
            else str(int(default or 0))
            if not hasattr(default, "isoformat")
            else "now()"
        )
    return {
        "extra_cols": "".join(f", {c}" for c in cols),
        "extra_vals": "".join(f", {v}" for v in vals),
    }


def matches_seed() -> None:
    """What a matching run leaves behind, written directly: 20 scored matches per subscriber."""
    from django.db import connection

    from digest.matching.engine import Config

    low = Config().threshold
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO matching_match (subscriber_id, paper_id, score, why, created_at)
            SELECT s.id, p.id, %(low)s + (1 - %(low)s) * ((s.id * 31 + p.id * 17) %% 100) / 100.0,
                'Matches your keywords: ' || split_part(s.keywords, E'\n', 1), now() - interval '30 minutes'
            FROM subscriptions_subscriber s
            CROSS JOIN LATERAL (
                SELECT id FROM papers_paper WHERE (id + s.id) %% 50 = 0 ORDER BY id LIMIT 20
            ) p
            """,
            {"low": low},
        )


def broker_idle(app: object) -> bool:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/11")
    if client.llen("celery"):
        return False
    active = app.control.inspect(timeout=1.0).active() or {}  # type: ignore[attr-defined]
    reserved = app.control.inspect(timeout=1.0).reserved() or {}  # type: ignore[attr-defined]
    return not any(active.values()) and not any(reserved.values())


def wait_until(condition: object, timeout: float, every: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("stage did not finish in time")
        time.sleep(every)


CHUNK_LOG = re.compile(r"digest chunk: sent=(\d+).*render=([\d.]+)s send=([\d.]+)s")


def run(subscribers: int, papers: int, timeout: float) -> dict[str, object]:
    var_dir = tempfile.mkdtemp(prefix="bench-daily-")
    env = bench_env(var_dir)
    os.environ.update(env)
    database_recreate()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    import django

    django.setup()
    import redis
    from django.db import connection

    from digest.celery import app
    from digest.delivery.models import FINAL, Delivery
    from digest.delivery.services import digests_due
    from digest.matching.models import Match
    from digest.matching.tasks import process_new_papers

    for db in (10, 11):
        redis.Redis(db=db).flushdb()
    started = time.perf_counter()
    seed(subscribers, papers)
    timings: dict[str, float] = {"seed": time.perf_counter() - started}

    sink_out = Path(var_dir) / "sink.json"
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=sink_main, args=(SMTP_PORT, str(sink_out), ready), daemon=True)
    sink.start()
    ready.wait(10)
    log_path = Path(var_dir) / "worker.log"
    worker_env = {**env, "LOG_LEVEL": "INFO"}
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "digest", "worker", "--concurrency", "2", "--pool", "prefork",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "bench@%h"],
            cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: bool(app.control.ping(timeout=0.5)), 60, every=0.2)
        total_started = time.perf_counter()

        t = time.perf_counter()
        if SEED_MATCHES:
            matches_seed()
        else:
            process_new_papers.delay()
            time.sleep(1)
            wait_until(lambda: broker_idle(app), timeout)
        timings["match"] = time.perf_counter() - t
        matches = Match.objects.count()

        t = time.perf_counter()
        due = digests_due()
        timings["due"] = time.perf_counter() - t

        t = time.perf_counter()
        wait_until(lambda: Delivery.objects.exclude(status__in=FINAL).count() == 0, timeout, every=0.5)
        timings["send"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - total_started
    finally:
        worker.terminate()
        worker.wait(60)
        sink.terminate()
        sink.join(30)
    counts = json.loads(sink_out.read_text()) if sink_out.exists() else {}
    render = send = 0.0
    for match in CHUNK_LOG.finditer(log_path.read_text(errors="replace")):
        render += float(match.group(2))
        send += float(match.group(3))
    sent = {
        e.lower() for e in Delivery.objects.filter(status="sent").values_list("subscriber__email", flat=True)
    }
    by_status = dict(
        Delivery.objects.values_list("status")
        .annotate(n=django.db.models.Count("id"))
        .values_list("status", "n")
    )
    connection.close()
    return {
        "subscribers": subscribers,
        "papers": papers,
        "matches": matches,
        "queued": due.queued,
        "statuses": by_status,
        "timings": timings,
        "render_cpu": render,
        "smtp_time": send,
        "messages_at_sink": sum(counts.values()),
        "exactly_once": set(counts) == sent and all(v == 1 for v in counts.values()),
        "duplicates": sum(v - 1 for v in counts.values() if v > 1),
        "missing": len(sent - set(counts)),
        "may_have_sent": Delivery.objects.filter(may_have_sent=True).count(),
    }


def report(result: dict[str, object]) -> None:
    t = result["timings"]  # type: ignore[assignment]
    print(
        f"\n{result['subscribers']:,} subscribers, {result['papers']:,} new papers, {result['matches']:,} matches"
    )
    print(f"  seed (not timed in total) {t['seed']:7.1f} s")  # type: ignore[index]
    for stage in ("match", "due", "send", "total"):
        print(f"  {stage:25} {t[stage]:7.1f} s")  # type: ignore[index]
    sent = result["messages_at_sink"]
    print(
        f"  render (CPU in workers)   {result['render_cpu']:7.1f} s   SMTP dialogue (in workers) {result['smtp_time']:.1f} s"
    )
    print(f"  outbox: {result['statuses']}")
    print(f"  messages at the sink: {sent:,}  ({sent / t['send']:.0f}/s during send)")  # type: ignore[index, operator]
    print(
        f"  exactly once: {result['exactly_once']}  (duplicates {result['duplicates']}, missing {result['missing']},"
        f" rows marked may-have-sent {result['may_have_sent']})"
    )
    target = "met" if t["total"] <= 600 * result["subscribers"] / 100_000 else "NOT met"  # type: ignore[index, operator]
    print(f"  pace for 100,000 in <= 10 min: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--semantic", action="store_true", help="match with sentence embeddings too")
    parser.add_argument(
        "--seed-matches",
        action="store_true",
        help="write 20 matches per subscriber in SQL instead of running the engine",
    )
    args = parser.parse_args()
    for n in args.subscribers:
        # A fresh interpreter per size: Django and the Celery app are configured once per process.
        if len(args.subscribers) > 1:
            subprocess.run([sys.executable, __file__, "--subscribers", str(n), "--papers", str(args.papers),
                            "--timeout", str(args.timeout), *(["--semantic"] if SEMANTIC else []), *(["--seed-matches"] if SEED_MATCHES else [])], check=True)  # fmt: skip
            continue
        report(run(n, args.papers, args.timeout))


if __name__ == "__main__":
    main()
