import time
from collections.abc import Callable

import pytest

from digest.matching.models import Match, ProcessedPaper
from digest.matching.tasks import process_new_papers
from tests.factories import SubscriberFactory
from tests.matching.helpers import background, paper


@pytest.fixture
def one_subscriber_per_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by the worker process at start-up: every subscriber becomes its own chunk task.
    monkeypatch.setenv("MATCH_CHUNK_SIZE", "1")


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    state = sorted(Match.objects.values_list("subscriber_id", "paper_id"))
    raise AssertionError(f"condition not reached before the deadline; matches {state}")


def test_new_papers_are_matched_in_chunks_by_a_worker_and_a_second_run_does_nothing(
    one_subscriber_per_chunk: None, celery_worker
) -> None:
    coral_background = next(p for p in background() if "Coral" in p.title)
    annealing = paper("Quantum annealing for scheduling", "An annealer schedules jobs.")
    reefs = paper("Coral reef bleaching under heat waves", "Reef recovery after bleaching.")
    physicist = SubscriberFactory(keywords='"quantum annealing"')
    ecologist = SubscriberFactory(keywords="coral")
    SubscriberFactory(keywords="coral", status="paused")

    process_new_papers.delay()

    expected = {(physicist.pk, annealing.pk), (ecologist.pk, reefs.pk), (ecologist.pk, coral_background.pk)}
    _wait_for(lambda: set(Match.objects.values_list("subscriber_id", "paper_id")) == expected)
    assert ProcessedPaper.objects.count() == 14
    first_run = dict(Match.objects.values_list("pk", "score"))

    process_new_papers.delay()
    later = paper("Coral spawning and the moon", "Coral spawning follows the lunar cycle.")
    process_new_papers.delay()

    _wait_for(lambda: Match.objects.filter(subscriber=ecologist, paper=later).exists())
    assert ProcessedPaper.objects.count() == 15
    # The earlier rows were not touched by the later runs.
    assert {
        pk: score for pk, score in Match.objects.values_list("pk", "score") if pk in first_run
    } == first_run
    assert Match.objects.count() == 4
