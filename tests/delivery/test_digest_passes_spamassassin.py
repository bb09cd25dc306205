from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from digest.delivery.models import Delivery
from digest.delivery.rendering import digest_message_bytes
from digest.delivery.services import deliveries_prepare, digests_queue
from tests.delivery.helpers import subscriber_with_matches

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("spamassassin") is None, reason="Debian's spamassassin is not installed"),
]


def test_a_rendered_digest_scores_below_two(settings: object) -> None:
    settings.SITE_URL = "https://papers.example.org"  # type: ignore[attr-defined]
    settings.DEFAULT_FROM_EMAIL = "Paper Digest <digest@papers.example.org>"  # type: ignore[attr-defined]
    subscriber_with_matches(10)
    digests_queue(now=timezone.now())
    delivery = Delivery.objects.select_related("subscriber").get()
    deliveries_prepare(delivery_ids=[delivery.pk])
    raw, _ = digest_message_bytes(delivery=delivery, items=list(delivery.items.select_related("paper")))
    # -L: local tests only (no network), -t: test mode, the report says which rules fired.
    result = subprocess.run(
        ["spamassassin", "-t", "-L"], input=raw, capture_output=True, timeout=120, check=False
    )
    status = re.search(rb"X-Spam-Status: (\w+), score=(-?[\d.]+)", result.stdout)
    assert status, result.stderr.decode()[-2000:]
    score = float(status.group(2))
    report = result.stdout.decode("utf-8", "replace").split("Content analysis details:")[-1][:3000]
    assert score < 2.0, report
