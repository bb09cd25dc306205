"""The whole pipeline on real workers: Redis broker, two worker processes, aiosmtpd, PostgreSQL."""

from __future__ import annotations

import random
import time

import pytest

from digest.delivery.models import FINAL, Delivery
from digest.delivery.services import digests_due
from digest.delivery.tasks import digests_send_task
from subscriptions.models import Subscriber
from tests.conftest import SmtpSink
from tests.delivery.helpers import subscriber_with_matches


def _wait_until_final(count: int, timeout: float = 60.0, tick: object = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Delivery.objects.filter(status__in=FINAL).count() >= count:
            return
        if tick is not None:
            tick()  # type: ignore[operator]
        time.sleep(0.2)
    states = list(Delivery.objects.values_list("status", "may_have_sent"))
    pytest.fail(f"not all deliveries finished in time: {states}")


def _assert_once_each(smtp: SmtpSink, subscribers: list[Subscriber]) -> int:
    """Every subscriber got exactly one digest, except rows marked in doubt (then one or two)."""
    in_doubt = 0
    for subscriber in subscribers:
        row = Delivery.objects.get(subscriber=subscriber)
        count = smtp.count_for(subscriber.email)
        if row.may_have_sent:
            in_doubt += 1
            assert count in (1, 2), (subscriber.email, count)
        else:
            assert count == 1, (subscriber.email, count, row.status)
    return in_doubt


def test_two_beats_and_duplicated_tasks_still_send_each_digest_once(
    delivery_workers: object, smtp_server: SmtpSink, settings: object
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 5  # type: ignore[attr-defined]
    subscribers = [subscriber_with_matches(1) for _ in range(12)]
    delivery_workers.start(concurrency=2)  # type: ignore[attr-defined]
    digests_due()
    digests_due()  # a second beat process firing the same tick
    ids = list(Delivery.objects.values_list("id", flat=True))
    for _ in range(3):  # the broker delivering the same task again
        digests_send_task.delay(ids)
    smtp_server.wait_for(12)
    _wait_until_final(12)
    time.sleep(0.5)  # let any wrongly duplicated send arrive before counting
    assert _assert_once_each(smtp_server, subscribers) == 0
    assert Delivery.objects.count() == 12


def test_workers_killed_mid_run_then_restarted_lose_and_repeat_nothing(
    delivery_workers: object, smtp_server: SmtpSink, settings: object
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 6  # type: ignore[attr-defined]
    delivery_workers.env["DELIVERY_RATE_PER_SECOND"] = "25"  # type: ignore[attr-defined]
    subscribers = [subscriber_with_matches(1) for _ in range(36)]
    rng = random.Random(6)
    worker = delivery_workers.start(concurrency=2)  # type: ignore[attr-defined]
    digests_due()
    kills = 0
    for _ in range(3):
        time.sleep(rng.uniform(0.15, 0.5))
        delivery_workers.kill(worker)  # type: ignore[attr-defined]
        kills += 1
        worker = delivery_workers.start(concurrency=2)  # type: ignore[attr-defined]
        if Delivery.objects.filter(status__in=FINAL).count() == 36:
            break
    # Beat keeps ticking: it recovers rows the kills left "sending" and re-enqueues lost tasks.
    settings.DELIVERY_REDISPATCH_SECONDS = 1  # type: ignore[attr-defined]
    _wait_until_final(36, tick=digests_due)
    time.sleep(0.5)
    in_doubt = _assert_once_each(smtp_server, subscribers)
    assert in_doubt <= 2 * kills  # at most the message on the wire in each killed pool process
    assert Delivery.objects.filter(may_have_sent=True).count() == in_doubt
