"""The broker (a private Redis) is killed mid-run and started again, empty: queued tasks are gone.
Beat's next ticks re-enqueue what was lost; every digest still arrives exactly once."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import kombu.pools
import pytest
import redis

from digest.delivery.models import FINAL, Delivery
from digest.delivery.services import digests_due
from tests.conftest import SmtpSink, free_port
from tests.delivery.conftest import DeliveryWorkers
from tests.delivery.helpers import subscriber_with_matches

PORT = free_port()


class PrivateRedis:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=PORT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_a_broker_restart_mid_run_loses_and_repeats_nothing(
    transactional_db: None, private_redis: PrivateRedis, smtp_server: SmtpSink, settings: object
) -> None:
    from digest.celery import app
    from tests.conftest import _reset_broker_connections

    broker = f"redis://127.0.0.1:{PORT}/1"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=broker)
    _reset_broker_connections(app)
    # 30 digests at 10 a second span at least three clock seconds (the limit counts per second), so
    # the run is still going when the broker dies 0.4 s in, however fast each message is sent.
    workers = DeliveryWorkers(broker, smtp_server.url, {"DELIVERY_RATE_PER_SECOND": "10"})
    workers.env["REDIS_URL"] = f"redis://127.0.0.1:{PORT}/0"
    settings.DELIVERY_CHUNK_SIZE = 5  # type: ignore[attr-defined]
    try:
        subscribers = [subscriber_with_matches(1) for _ in range(30)]
        worker = workers.start(concurrency=2)
        digests_due()
        time.sleep(0.4)
        private_redis.kill()
        sent_before = len(smtp_server.messages)
        time.sleep(0.5)
        private_redis.start()
        # The new server knows none of the connections pooled before the old one died, and kombu
        # keys its pools by URL, the same as before: a worker started again below would be pinged
        # over one of them ("Connection closed by server"). Close and forget them all.
        kombu.pools.reset()
        _reset_broker_connections(app)
        settings.DELIVERY_REDISPATCH_SECONDS = 1  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while Delivery.objects.filter(status__in=FINAL).count() < 30:
            assert time.monotonic() < deadline, list(Delivery.objects.values_list("status", flat=True))
            if worker.process.poll() is not None:  # type: ignore[attr-defined]
                # A worker can die of its broker vanishing (kombu raises while handing unacknowledged
                # tasks back); production runs workers under a supervisor that starts them again.
                worker = workers.start(concurrency=2)
            digests_due()
            time.sleep(0.5)
        time.sleep(0.5)
        assert sent_before < 30  # the restart really happened mid-run
        for subscriber in subscribers:
            assert smtp_server.count_for(subscriber.email) == 1
    finally:
        workers.stop_all()
        app.conf.update(saved)
        _reset_broker_connections(app)
