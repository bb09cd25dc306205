"""Fixtures shared by every test: real PostgreSQL (pytest-django), real Redis, a real Celery worker,
a real SMTP server (aiosmtpd) and a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import ctypes
import os
import signal
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


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A port nothing listens on now, so parallel runs of the suite never share one."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CeleryWorker:
    """A real `celery worker` process on the test database, started and stopped by the test."""

    def __init__(self, env: dict[str, str], concurrency: int = 1) -> None:
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.name = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"
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
                self.name,
            ],
            cwd=ROOT,
            env=self.env,
            # A worker outliving an interrupted test run would steal the next run's tasks.
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop(signal.SIGKILL)
            raise

    def _wait_ready(self) -> None:
        from digest.celery import app

        assert self.process is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("celery worker exited during start-up")
            # Ask this worker by name: any other worker on the broker must not count as ready.
            if app.control.ping(destination=[self.name], timeout=0.5):
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
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.update(saved)
        _reset_broker_connections(app)


# --- A real SMTP server (helper E) --------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd server in a thread on a free port. It keeps every accepted message as bytes with
    its envelope, can refuse chosen recipients with a given reply (421/451/550 ...), and can be
    stopped (connections refused) and started again on the same port."""

    def __init__(self) -> None:
        import threading

        self.port = free_port()
        self.host = "127.0.0.1"
        self.messages: list[tuple[str, list[str], bytes]] = []
        # recipient (lower case) -> SMTP reply line, e.g. "550 5.1.1 No such user"
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self._cond = threading.Condition()
        self.controller: object | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    # aiosmtpd handler hooks
    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: list[str]
    ) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.data_reply:
            return self.data_reply
        with self._cond:
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))  # type: ignore[attr-defined]
            )
            self._cond.notify_all()
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self.controller = controller

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]
            self.controller = None

    def count_for(self, address: str) -> int:
        with self._cond:
            return sum(1 for _, rcpts, _ in self.messages if address.lower() in {r.lower() for r in rcpts})

    def parsed(self) -> list[object]:
        import email
        import email.policy

        with self._cond:
            return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.messages]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, list[str], bytes]]:
        """Block until at least `count` messages arrived; fail the test at the deadline."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"SMTP server got {len(self.messages)} messages, expected {count}")
                self._cond.wait(left)
            return list(self.messages)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_settings(settings: object, smtp_server: SmtpSink) -> SmtpSink:
    """Point this process's mail settings at the `smtp_server` (pytest-django installs locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = smtp_server.host  # type: ignore[attr-defined]
    settings.EMAIL_PORT = smtp_server.port  # type: ignore[attr-defined]
    settings.EMAIL_HOST_USER = ""  # type: ignore[attr-defined]
    settings.EMAIL_HOST_PASSWORD = ""  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_USE_SSL = False  # type: ignore[attr-defined]
    settings.EMAIL_TIMEOUT = 5  # type: ignore[attr-defined]
    return smtp_server


# --- A real browser (helper B) -----------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Debian chromium for the whole run (Playwright never downloads a browser)."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM must still be allowed
    # here for the live_server tests that read the database between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (no cookies) per test, with short timeouts so failures are quick."""
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
