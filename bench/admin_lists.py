"""Admin list pages at scale: 100,000 subscribers, 100,000 papers, 1,000,000 deliveries on PostgreSQL.

Seeds its own database with INSERT ... SELECT generate_series (a few minutes at most), then times each
admin changelist page, plain, filtered and searched, through Django's test client logged in as a
superuser, and prints the median of several requests per page. The baseline, measured in the same
run on the same data, is the same page served by a stock `ModelAdmin` (the defaults: full result
count, no `list_select_related`, Django's own search) on a second admin site.

Usage: .venv/bin/python bench/admin_lists.py [--scale 1.0] [--repeat 7] [--keep]
`--keep` reuses an already seeded database. Target: every page < 500 ms.
Uses the database digest_admin_bench on PostgreSQL at 127.0.0.1:5432 unless DATABASE_URL says otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "digest_admin_bench"
TARGET_MS = 500.0


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every row count (default 1.0)")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page (default 7)")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database if it exists")
    return parser.parse_args()


def _recreate_database(keep: bool) -> bool:
    """Returns whether the database already existed and was kept."""
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and keep:
            return True
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return False


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{BASE_URL}/{DB_NAME}"
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="admin-bench-var-"))
    os.environ.setdefault("SECRET_KEY", "admin-bench-secret-key-that-is-long-enough-0123456789")
    os.environ.setdefault("DEBUG", "0")
    os.environ.pop("REDIS_URL", None)  # a local-memory cache: the bench measures the database
    os.environ["DJANGO_SETTINGS_MODULE"] = "digest.settings"
    import django

    django.setup()
    from django.conf import settings

    # The stock admin for the baseline lives on a second site under /naive/.
    settings.ROOT_URLCONF = "bench_admin_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _column_values(model: Any, exprs: dict[str, str]) -> tuple[list[str], list[str], list[Any]]:
    """Column names and SELECT expressions for an INSERT ... SELECT: ours where given, else the
    field's default as a parameter, else NULL; a required column without either fails loudly, so a
    field added to a model later cannot silently break the seed."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    columns, selects, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in exprs:
            continue
        columns.append(f'"{field.column}"')
        if field.name in exprs:
            # Parameters are passed, so a literal % (modulo) must be doubled.
            selects.append(exprs[field.name].replace("%", "%%"))
        elif field.default is not NOT_PROVIDED:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            selects.append("NULL")
        elif field.blank and field.get_internal_type() in {
            "CharField",
            "TextField",
            "EmailField",
            "SlugField",
        }:
            selects.append("''")
        else:
            raise SystemExit(f"bench seed: no value for required column {model.__name__}.{field.name}")
    return columns, selects, params


def _insert_series(model: Any, n: int, exprs: dict[str, str]) -> None:
    from django.db import connection

    columns, selects, params = _column_values(model, exprs)
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(selects)} FROM generate_series(1, {int(n)}) AS g"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    print(f"  {model._meta.label:<24} {n:>9,} rows in {time.perf_counter() - started:5.1f} s", flush=True)


WORDS = [
    "learning",
    "model",
    "graph",
    "neural",
    "network",
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
    "reasoning",
    "alignment",
    "video",
    "audio",
    "speech",
    "tabular",
]


def _word(expr: str) -> str:
    words = ",".join(f"'{w}'" for w in WORDS)
    return f"(ARRAY[{words}])[1 + ({expr}) % {len(WORDS)}]"


def _seed(scale: float) -> None:
    from django.core.management import call_command
    from django.db import connection

    from digest.delivery.models import Delivery
    from digest.matching.models import Match
    from digest.papers.models import Author, Paper, PaperAuthor, Topic
    from subscriptions.models import Subscriber

    n_papers = int(100_000 * scale)
    n_subscribers = int(100_000 * scale)
    n_deliveries = int(1_000_000 * scale)
    n_authors = max(n_papers // 2, 10)
    n_topics = 60
    print("seeding:", flush=True)
    call_command("migrate", verbosity=0)
    _insert_series(
        Topic,
        n_topics,
        {
            "name": "'Topic ' || g",
            "slug": "'topic-' || g",
            "keywords": f"{_word('g')} || E'\\n' || {_word('g * 7')}",
            "created_at": "now() - interval '400 days'",
        },
    )
    _insert_series(
        Author,
        n_authors,
        {
            "name": "'Author ' || g || ' Surname' || (g % 997)",
            "key": "'author ' || g",
            "match_key": "'surname' || (g % 997) || ' a'",
        },
    )
    title = f"initcap({_word('g')}) || ' ' || {_word('g / 3')} || ' for ' || {_word('g / 7')} || ' ' || {_word('g / 11')} || ' ' || g"
    abstract = (
        f"'We study ' || {_word('g / 5')} || ' and ' || {_word('g / 13')} || ' with ' || {_word('g / 17')} || '. ' "
        "|| repeat('Our method improves the state of the art on several benchmarks while using less compute. ', 6)"
    )
    _insert_series(
        Paper,
        n_papers,
        {
            "key": "'25' || lpad((g / 100000)::text, 2, '0') || '.' || lpad((g % 100000)::text, 5, '0')",
            "arxiv_id": "'25' || lpad((g / 100000)::text, 2, '0') || '.' || lpad((g % 100000)::text, 5, '0')",
            "arxiv_version": "1",
            "title_key": "md5(g::text)",
            "title": title,
            "abstract": abstract,
            "author_names": "jsonb_build_array('Author ' || (g % 50000) || ' Surname' || ((g % 50000) % 997), 'Author ' || ((g * 7) % 50000))",
            "categories": "(ARRAY['cs.LG','cs.CL','cs.CV','cs.AI','stat.ML','q-bio.BM'])[1 + g % 6] || ' cs.LG'",
            "primary_category": "(ARRAY['cs.LG','cs.CL','cs.CV','cs.AI','stat.ML','q-bio.BM'])[1 + g % 6]",
            "sources": "(ARRAY['arxiv','hf arxiv','hf'])[1 + g % 3]",
            "code_urls": "CASE WHEN g % 4 = 0 THEN jsonb_build_array('https://github.com/example/repo' || g) ELSE '[]'::jsonb END",
            "has_code": "g % 4 = 0",
            "published_at": "now() - (g * interval '5 minutes')",
            "first_seen_at": "now() - (g * interval '5 minutes')",
            "modified_at": "now() - (g * interval '5 minutes')",
            "hidden": "g % 97 = 0",
            "featured": "g % 89 = 0",
        },
    )
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"""INSERT INTO "{PaperAuthor._meta.db_table}" (paper_id, author_id, position)
            SELECT p.id, 1 + ((p.id * k) % {n_authors}), k FROM "{Paper._meta.db_table}" p, generate_series(0, 2) k"""
        )
        print(f"  papers.PaperAuthor       {3 * n_papers:>9,} rows in {time.perf_counter() - started:5.1f} s")
    started = time.perf_counter()
    # What the search index task does after an ingest: the admin search reads these documents.
    from digest.papers.search_index import search_documents_index

    written = search_documents_index()
    print(f"  papers.PaperSearchDocument {written:>7,} rows in {time.perf_counter() - started:5.1f} s")
    statuses = "(ARRAY['active','active','active','active','active','active','pending','paused','unsubscribed','bounced'])"
    _insert_series(
        Subscriber,
        n_subscribers,
        {
            "email": "'reader' || g || '@example.org'",
            "status": f"{statuses}[1 + g % 10]",
            "feed_token": "md5('feed' || g)",
            "consent_at": "now() - (g * interval '5 minutes')",
            "consent_ip": "'192.0.2.1'::inet",
            "consent_text": "'I agree'",
            "created_at": "now() - (g * interval '5 minutes')",
            "confirmed_at": "now() - (g * interval '5 minutes')",
            "unsubscribed_at": "CASE WHEN g % 10 = 8 THEN now() - (g * interval '2 minutes') END",
            "status_reason": "CASE WHEN g % 10 = 8 THEN 'link' WHEN g % 10 = 9 THEN 'bounced' ELSE '' END",
        },
    )
    through = Subscriber.topics.through
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"""INSERT INTO "{through._meta.db_table}" (subscriber_id, topic_id)
            SELECT s.id, t.id FROM "{Subscriber._meta.db_table}" s
            JOIN "{Topic._meta.db_table}" t ON t.id IN (1 + s.id % {n_topics}, 1 + (s.id * 7 + 3) % {n_topics})"""
        )
        print(
            f"  subscriber topics        ~{2 * n_subscribers:>8,} rows in {time.perf_counter() - started:5.1f} s"
        )
    periods = max(n_deliveries // max(n_subscribers, 1), 1)
    # Subscriber ids are 1..n here (fresh database), periods go back one day per round.
    _insert_series(
        Delivery,
        n_deliveries,
        {
            "subscriber": f"1 + (g - 1) % {n_subscribers}",
            "period": f"current_date - ((g - 1) / {n_subscribers})::int",
            "status": "CASE WHEN g % 53 = 0 THEN 'failed' WHEN g % 211 = 0 THEN 'retrying' ELSE 'sent' END",
            "covers_since": f"now() - (((g - 1) / {n_subscribers}) + 1) * interval '1 day'",
            "covers_until": f"now() - ((g - 1) / {n_subscribers}) * interval '1 day'",
            "created_at": f"now() - ((g - 1) / {n_subscribers}) * interval '1 day' - (g % 86400) * interval '1 second' / 2",
            "enqueued_at": f"now() - ((g - 1) / {n_subscribers}) * interval '1 day'",
            "sent_at": f"CASE WHEN g % 53 = 0 OR g % 211 = 0 THEN NULL ELSE now() - ((g - 1) / {n_subscribers}) * interval '1 day' END",
            "attempts": "CASE WHEN g % 53 = 0 THEN 5 ELSE 1 END",
            "last_error": "CASE WHEN g % 53 = 0 THEN '550 5.1.1 mailbox unavailable' ELSE '' END",
            "subject": "'Your papers: ' || " + _word("g"),
        },
    )
    del periods
    _insert_series(
        Match,
        n_papers * 2,
        {
            "subscriber": f"1 + (g - 1) % {n_subscribers}",
            "paper": f"1 + ((g - 1) / 2) % {n_papers}",
            "score": "(g % 100) / 100.0",
            "why": "'matches your topic'",
            "created_at": "now() - (g * interval '1 minute')",
        },
    )
    # What autovacuum will have done on a live instance: statistics, and the visibility map that
    # lets counts use index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _install_baseline_site() -> None:
    from django.contrib import admin
    from django.urls import path

    from digest.delivery.models import Delivery
    from digest.matching.models import Match
    from digest.papers.models import Paper, Topic
    from subscriptions.models import Subscriber

    naive = admin.AdminSite(name="naive")

    # The stock configuration a first version of this admin would have had.
    naive.register(
        Paper,
        type(
            "NaivePaperAdmin",
            (admin.ModelAdmin,),
            {
                "list_display": (
                    "title",
                    "arxiv_id",
                    "published_at",
                    "primary_category",
                    "sources",
                    "has_code",
                    "hidden",
                    "featured",
                ),
                "list_filter": ("published_at", "primary_category", "hidden", "featured", "has_code"),
                "search_fields": ("title", "abstract", "author_names", "arxiv_id"),
            },
        ),
    )
    naive.register(Topic, type("NaiveTopicAdmin", (admin.ModelAdmin,), {"list_display": ("name", "slug")}))
    naive.register(
        Subscriber,
        type(
            "NaiveSubscriberAdmin",
            (admin.ModelAdmin,),
            {
                "list_display": ("email", "status", "frequency", "created_at"),
                "list_filter": ("status", "frequency"),
                "search_fields": ("email",),
            },
        ),
    )
    naive.register(
        Delivery,
        type(
            "NaiveDeliveryAdmin",
            (admin.ModelAdmin,),
            {
                "list_display": ("period", "subscriber", "status", "attempts", "sent_at", "created_at"),
                "list_filter": ("status", "period"),
                "search_fields": ("subscriber__email",),
            },
        ),
    )
    naive.register(
        Match,
        type(
            "NaiveMatchAdmin",
            (admin.ModelAdmin,),
            {"list_display": ("created_at", "subscriber", "paper", "score")},
        ),
    )
    module = types.ModuleType("bench_admin_urls")
    module.urlpatterns = [path("admin/", admin.site.urls), path("naive/", naive.urls)]  # type: ignore[attr-defined]
    sys.modules["bench_admin_urls"] = module


def _pages() -> list[tuple[str, str, str]]:
    """(label, our URL, the baseline's URL)."""
    from datetime import timedelta

    from django.utils import timezone

    week_ago = (timezone.localdate() - timedelta(days=6)).isoformat()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    recent = f"published_at__gte={week_ago}&published_at__lt={tomorrow}"
    period = f"period__gte={week_ago}&period__lt={tomorrow}"
    return [
        ("papers", "papers/paper/", "papers/paper/"),
        ("papers, hidden", "papers/paper/?hidden__exact=1", "papers/paper/?hidden__exact=1"),
        (
            "papers, has code + cs.CV",
            "papers/paper/?has_code__exact=1&primary_category=cs.CV",
            "papers/paper/?has_code__exact=1&primary_category=cs.CV",
        ),
        ("papers, last 7 days", f"papers/paper/?{recent}", f"papers/paper/?{recent}"),
        ("papers, source hf", "papers/paper/?source=hf", "papers/paper/"),
        ("papers, topic filter", "papers/paper/?topic=3", "papers/paper/"),
        ("papers, search word", "papers/paper/?q=protein", "papers/paper/?q=protein"),
        ("papers, search author", "papers/paper/?q=Surname123", "papers/paper/?q=Surname123"),
        ("papers, search arXiv id", "papers/paper/?q=2500.04242", "papers/paper/?q=2500.04242"),
        ("topics", "papers/topic/", "papers/topic/"),
        ("subscribers", "subscriptions/subscriber/", "subscriptions/subscriber/"),
        (
            "subscribers, bounced",
            "subscriptions/subscriber/?status__exact=bounced",
            "subscriptions/subscriber/?status__exact=bounced",
        ),
        (
            "subscribers, search address",
            "subscriptions/subscriber/?q=reader4242%40example.org",
            "subscriptions/subscriber/?q=reader4242%40example.org",
        ),
        (
            "subscribers, search part",
            "subscriptions/subscriber/?q=reader4242",
            "subscriptions/subscriber/?q=reader4242",
        ),
        ("deliveries", "delivery/delivery/", "delivery/delivery/"),
        (
            "deliveries, failed",
            "delivery/delivery/?status__exact=failed",
            "delivery/delivery/?status__exact=failed",
        ),
        ("deliveries, last 7 days", f"delivery/delivery/?{period}", f"delivery/delivery/?{period}"),
        (
            "deliveries, subscriber #4242",
            "delivery/delivery/?q=%234242",
            "delivery/delivery/?q=reader4242%40example.org",
        ),
        (
            "deliveries, search address",
            "delivery/delivery/?q=reader4242%40example.org",
            "delivery/delivery/?q=reader4242%40example.org",
        ),
        ("matches", "matching/match/", "matching/match/"),
        ("dashboard (cached figures)", "dashboard/", "dashboard/"),
        # Not a list page: its figures are recomputed at most every 5 minutes.
        ("dashboard, recomputed", "dashboard/?refresh=1", "dashboard/"),
    ]


def _time(client: Any, url: str, repeat: int) -> float:
    response = client.get(url)  # warm-up: connection, templates, cached filter choices
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(samples)


def main() -> None:
    args = _parse()
    kept = _recreate_database(args.keep)
    _setup_django()
    _install_baseline_site()
    if not kept:
        started = time.perf_counter()
        _seed(args.scale)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    print(f"\n{'page':<32} {'ours ms':>9} {'stock ms':>9} {'ratio':>6}  target < {TARGET_MS:.0f} ms")
    worst = 0.0
    for label, ours, stock in _pages():
        ours_ms = _time(client, "/admin/" + ours, args.repeat)
        stock_ms = (
            _time(client, "/naive/" + stock, args.repeat)
            if not stock.startswith("dashboard/")
            else float("nan")
        )
        is_list = not ours.startswith("dashboard/")
        worst = max(worst, ours_ms) if is_list else worst
        flag = "" if ours_ms < TARGET_MS or not is_list else "  SLOW"
        print(f"{label:<32} {ours_ms:>9.1f} {stock_ms:>9.1f} {ours_ms / stock_ms:>6.2f}{flag}", flush=True)
    print(
        f"\nslowest list page: {worst:.1f} ms ({'within' if worst < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target)"
    )


if __name__ == "__main__":
    main()
