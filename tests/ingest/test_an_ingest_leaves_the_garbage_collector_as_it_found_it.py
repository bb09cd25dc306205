"""A run pauses automatic collection and freezes what existed before it; a worker process goes on
after the run with its collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.ingest.conftest import DATA, Ingest


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_a_run_leaves_collection_enabled_and_nothing_frozen(ingest: Ingest, collector: None) -> None:
    gc.enable()
    assert gc.get_freeze_count() == 0
    assert ingest(DATA / "snapshot.jsonl").new > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_keeps_a_callers_frozen_objects_frozen_and_collection_off(
    ingest: Ingest, collector: None
) -> None:
    gc.disable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert ingest(DATA / "snapshot.jsonl").new > 0
    assert not gc.isenabled()
    # Still frozen, less the few that the run freed.
    assert frozen - 1_000 < gc.get_freeze_count() <= frozen
