from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from digest.delivery.models import Delivery
from tests.conftest import SmtpSink
from tests.delivery.helpers import subscriber_with_matches

pytestmark = pytest.mark.django_db


def test_dry_run_reports_without_queueing_or_sending(smtp_settings: SmtpSink) -> None:
    subscriber_with_matches(1)
    subscriber_with_matches(1)
    out = StringIO()
    call_command("send_digests", "--dry-run", stdout=out)
    assert "2 digest(s) due" in out.getvalue()
    assert Delivery.objects.count() == 0
    assert smtp_settings.messages == []


def test_a_run_at_a_given_time_queues_and_sends_that_period(smtp_settings: SmtpSink) -> None:
    subscriber = subscriber_with_matches(1, send_hour=8, timezone="Europe/Berlin")
    out = StringIO()
    call_command("send_digests", "--now", "2030-01-15T07:30:00+00:00", stdout=out)
    assert "1 digest(s) queued" in out.getvalue()
    assert str(Delivery.objects.get(subscriber=subscriber).period) == "2030-01-15"


def test_a_bad_time_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("send_digests", "--now", "yesterday")
