"""Statements run once per chunk are never prepared: PostgreSQL's generic plan for the chunk's digest
candidates, which it would use from the sixth run on one connection, scans every digest item once per
subscriber. The per-message claim is prepared (it runs hundreds of times per chunk)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from digest.delivery.models import Delivery
from digest.delivery.selectors import digest_candidates_many, sent_paper_ids_many
from digest.delivery.services import digests_queue, digests_send
from tests.conftest import SmtpSink
from tests.delivery.helpers import subscriber_with_matches

pytestmark = pytest.mark.django_db


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_chunk_queries_are_planned_afresh_on_every_run_of_one_connection() -> None:
    subscribers = [subscriber_with_matches(2) for _ in range(3)]
    now = timezone.now()
    windows = {s.pk: (now - timedelta(days=1), now) for s in subscribers}
    first = digest_candidates_many(windows=windows, limit=5)
    for _ in range(12):
        assert digest_candidates_many(windows=windows, limit=5) == first
        sent_paper_ids_many(subscriber_ids=list(windows), paper_ids=[1, 2, 3])
    assert not [s for s in _prepared() if "LATERAL" in s or "delivery_deliveryitem" in s]


def test_the_per_message_claim_is_prepared(smtp_settings: SmtpSink) -> None:
    for _ in range(8):
        subscriber_with_matches(1)
    digests_queue(now=timezone.now())
    digests_send(delivery_ids=list(Delivery.objects.values_list("id", flat=True)))
    assert len(smtp_settings.wait_for(8)) == 8
    assert [s for s in _prepared() if s.lstrip().startswith("UPDATE delivery_delivery")]
