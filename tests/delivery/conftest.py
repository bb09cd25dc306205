from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import emails


@pytest.fixture
def email_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private template directory (with the real shared layout) for a throwaway message type."""
    (tmp_path / emails.LAYOUT).write_text((emails.TEMPLATE_DIR / emails.LAYOUT).read_text())
    (tmp_path / "hello.mjml").write_text(
        '<mj-section><mj-column><mj-text>Hello {{ name }}, <a href="{{ link }}">open</a></mj-text></mj-column></mj-section>'
    )
    (tmp_path / "hello.txt").write_text("Hello {{ name }},\n\nopen: {{ link }}\n")
    (tmp_path / "hello-subject.txt").write_text("Hello\n {{ name }}\n")
    monkeypatch.setattr(emails, "TEMPLATE_DIR", tmp_path)
    for cached in (
        emails._html_engine,
        emails._text_engine,
        emails.html_template,
        emails.text_template,
        emails.subject_template,
    ):
        cached.cache_clear()
    yield tmp_path
    for cached in (
        emails._html_engine,
        emails._text_engine,
        emails.html_template,
        emails.text_template,
        emails.subject_template,
    ):
        cached.cache_clear()


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and its pool children at once, as a crash of the host would."""
    import os
    import signal

    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    for target in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


class DeliveryWorkers:
    """Start real Celery workers that send through the test's SMTP server."""

    def __init__(self, broker_url: str, smtp_url: str, extra_env: dict[str, str]) -> None:
        from django.db import connection

        from tests.conftest import worker_env

        self.env = worker_env(broker_url, connection.settings_dict["NAME"])
        self.env.update({"EMAIL_URL": smtp_url, "EMAIL_TIMEOUT": "5", **extra_env})
        self.running: list[object] = []

    def start(self, concurrency: int = 2) -> object:
        from tests.conftest import CeleryWorker

        worker = CeleryWorker(self.env, concurrency=concurrency)
        worker.start()
        self.running.append(worker)
        return worker

    def kill(self, worker: object) -> None:
        kill_tree(worker.process.pid)  # type: ignore[attr-defined]
        worker.process.wait(timeout=10)  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for worker in self.running:
            if worker.process.poll() is None:  # type: ignore[attr-defined]
                kill_tree(worker.process.pid)  # type: ignore[attr-defined]
                worker.process.wait(timeout=10)  # type: ignore[attr-defined]


@pytest.fixture
def delivery_workers(transactional_db: None, broker_url: str, smtp_server: object) -> Iterator[object]:
    """A factory of real workers (`.start()`, `.kill(worker)`); the test process enqueues to the same
    broker. Set `.env` entries before starting to configure the workers."""
    import redis

    from digest.celery import app
    from tests.conftest import _reset_broker_connections

    redis.Redis.from_url(broker_url).flushdb()
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=broker_url)
    _reset_broker_connections(app)
    workers = DeliveryWorkers(broker_url, smtp_server.url, {})  # type: ignore[attr-defined]
    try:
        yield workers
    finally:
        workers.stop_all()
        app.conf.update(saved)
        _reset_broker_connections(app)
