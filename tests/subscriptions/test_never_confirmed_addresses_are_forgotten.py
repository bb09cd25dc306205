from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from subscriptions.models import Subscriber
from subscriptions.tasks import pending_purge_task
from tests.factories import SubscriberFactory


def test_the_daily_purge_deletes_only_stale_never_confirmed_signups(db: None) -> None:
    old = timezone.now() - timedelta(days=31)
    stale = SubscriberFactory(status="pending", confirmed_at=None, created_at=old, consent_at=old)
    fresh = SubscriberFactory(status="pending", confirmed_at=None, created_at=old, consent_at=timezone.now())
    returning = SubscriberFactory(status="unsubscribed", created_at=old, consent_at=old)
    active = SubscriberFactory(created_at=old)

    assert pending_purge_task.apply().get() == 1

    remaining = set(Subscriber.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, returning.pk, active.pk}
    assert stale.pk not in remaining
    assert pending_purge_task.apply().get() == 0
