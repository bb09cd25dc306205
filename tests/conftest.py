"""Fixtures shared by every test: real PostgreSQL (pytest-django), real Redis, a real Celery worker,
a real SMTP server (aiosmtpd) and a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.exit(f"Redis is not reachable at {url}: run scripts/services.sh", returncode=3)
    return url


@pytest.fixture(scope="session")
def broker_url(redis_url: str) -> str:
    # The broker lives in its own Redis database beside the cache's.
    base, _, db = redis_url.rpartition("/")
    return f"{base}/{(int(db or 0) + 1) % 16}"


def worker_env(broker_url: str, db_name: str) -> dict[str, str]:
    from django.db import connection

    parts = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": f"postgres://{parts['USER']}@{parts['HOST']}:{parts['PORT']}/{db_name}",
            "VAR_DIR": str(settings.VAR_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class CeleryWorker:
    """A real `celery worker` process on the test database, started and stopped by the test."""

    def __init__(self, env: dict[str, str], concurrency: int = 1) -> None:
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "digest",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@localhost",
            ],
            cwd=ROOT,
            env=self.env,
        )
        from digest.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("celery worker exited during start-up")
            replies = app.control.ping(timeout=0.5)
            if replies:
                return
        raise RuntimeError("celery worker did not answer a ping within 60 s")

    def stop(self, sig: int | None = None) -> None:
        if self.process and self.process.poll() is None:
            if sig is None:
                self.process.terminate()
            else:
                self.process.send_signal(sig)
            self.process.wait(timeout=30)


def _reset_broker_connections(app: object) -> None:
    # The broker URL changes between embedded mode and the worker tests: forget the app's pools so
    # the next send takes kombu's pool for the current URL (kombu keys its pools by URL; closing
    # one would poison it for later tests).
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def celery_worker(transactional_db: None, broker_url: str) -> Iterator[CeleryWorker]:
    """A real worker: tasks sent by the test go through Redis to another process that reads the
    committed state of the test database. Tests using it run on `transactional_db`."""
    from django.db import connection

    from digest.celery import app

    redis.Redis.from_url(broker_url).flushdb()
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=broker_url)
    _reset_broker_connections(app)
    worker = CeleryWorker(worker_env(broker_url, connection.settings_dict["NAME"]))
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.update(saved)
        _reset_broker_connections(app)
