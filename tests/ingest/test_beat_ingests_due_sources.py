from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase, override_settings
from django.utils import timezone

from digest.matching.models import ProcessedPaper
from digest.papers.models import IngestRun, Paper, Source
from digest.papers.services import source_claim_due
from digest.papers.tasks import ingest_due_sources
from tests.ingest.conftest import DATA

pytestmark = pytest.mark.django_db


@override_settings(MATCH_SEMANTIC=False)  # matching runs in-process here; its models are not under test
def test_only_enabled_sources_whose_interval_elapsed_are_ingested() -> None:
    now = timezone.now()
    due = Source.objects.create(
        name="due",
        url=str(DATA / "arxiv-api.atom"),
        interval_minutes=60,
        last_ingested_at=now - timedelta(minutes=61),
    )
    never = Source.objects.create(name="never run", url=str(DATA / "arxiv-listing.rss"), format="arxiv-rss")
    Source.objects.create(
        name="recent",
        url=str(DATA / "snapshot.jsonl"),
        interval_minutes=60,
        last_ingested_at=now - timedelta(minutes=30),
    )
    Source.objects.create(name="disabled", url=str(DATA / "hf-daily-papers.json"), enabled=False)

    # Embedded mode runs the queued ingests in-process once the transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        claimed = ingest_due_sources.apply().get()

    assert sorted(claimed) == sorted([due.pk, never.pk])
    runs = {run.source_id: run for run in IngestRun.objects.all()}
    assert set(runs) == {due.pk, never.pk}
    assert runs[never.pk].format == "arxiv-rss"
    assert Paper.objects.count() == 3 + 2
    due.refresh_from_db()
    assert due.last_ingested_at > now
    # The ingest tasks handed the new papers to matching after they committed.
    assert ProcessedPaper.objects.count() == 5


def test_a_claimed_source_is_not_claimed_again_until_its_interval_passes() -> None:
    source = Source.objects.create(name="s", url="http://127.0.0.1:8102/feed", interval_minutes=30)
    assert source_claim_due() == [source.pk]
    assert source_claim_due() == []
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert source_claim_due() == [source.pk]
