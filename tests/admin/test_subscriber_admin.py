from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.factories import DeliveryFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:subscriptions_subscriber_changelist")


def _action(client: Client, action: str, subscribers: list[Subscriber]) -> object:
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [s.pk for s in subscribers]})


def _csv(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_suppressing_stops_mail_through_the_subscription_rules(admin_client: Client) -> None:
    active = SubscriberFactory()
    _action(admin_client, "suppress_bounced", [active])
    active.refresh_from_db()
    assert active.status == "bounced" and active.unsubscribed_at is not None


def test_unsubscribing_from_the_admin_records_the_reason(admin_client: Client) -> None:
    active = SubscriberFactory()
    _action(admin_client, "unsubscribe", [active])
    active.refresh_from_db()
    assert active.status == "unsubscribed" and active.status_reason == "admin"


def test_resending_the_confirmation_queues_a_mail_to_a_pending_subscriber(admin_client: Client) -> None:
    from digest.delivery.models import TransactionalEmail

    pending = SubscriberFactory(status="pending", confirmed_at=None)
    _action(admin_client, "resend_confirmation", [pending])
    assert TransactionalEmail.objects.filter(subscriber=pending).count() == 1


def test_the_csv_export_has_addresses_only_for_staff_allowed_to_see_them(
    admin_client: Client, curator_client: Client
) -> None:
    topic = TopicFactory(name="Vision")
    subscriber = SubscriberFactory(email="reader@example.org", keywords="graphs", consent_ip="198.51.100.77")
    subscriber.topics.add(topic)
    full = _csv(_action(admin_client, "export_csv", [subscriber]))
    assert full[0][0] == "email" and full[1][0] == "reader@example.org"
    assert "Vision" in full[1]
    redacted = _csv(_action(curator_client, "export_csv", [subscriber]))
    assert redacted[0][0] == "id" and redacted[1][0] == str(subscriber.pk)
    assert "reader@example.org" not in str(redacted) and "198.51.100.77" not in str(redacted)
    assert full[0][-1] == "consent_ip" and full[1][-1] == "198.51.100.77"


def test_a_curator_cannot_run_status_actions(curator_client: Client) -> None:
    active = SubscriberFactory()
    _action(curator_client, "suppress_bounced", [active])
    active.refresh_from_db()
    assert active.status == "active"


def test_the_subscriber_page_shows_consent_interests_and_deliveries(admin_client: Client) -> None:
    subscriber = SubscriberFactory(consent_text="I agree to receive digests", consent_ip="192.0.2.1")
    subscriber.topics.add(TopicFactory(name="Robotics"))
    delivery = DeliveryFactory(subscriber=subscriber, status="failed", last_error="550 mailbox unavailable")
    content = admin_client.get(
        reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    ).content.decode()
    assert "I agree to receive digests" in content and "192.0.2.1" in content
    assert "Robotics" in content
    assert "550 mailbox unavailable" in content
    assert reverse("admin:delivery_delivery_change", args=[delivery.pk]) in content


def test_searching_by_subscriber_number(admin_client: Client) -> None:
    wanted, _other = SubscriberFactory(), SubscriberFactory()
    response = admin_client.get(CHANGELIST, {"q": f"#{wanted.pk}"})
    assert [s.pk for s in response.context["cl"].result_list] == [wanted.pk]


def test_a_test_digest_goes_through_the_outbox_and_leaves_the_real_digest_alone(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from digest.delivery.models import Delivery, TransactionalEmail
    from tests.factories import MatchFactory, PaperFactory

    subscriber = SubscriberFactory()
    MatchFactory(subscriber=subscriber, paper=PaperFactory(title="Protein folding at scale"), score=0.95)
    with django_capture_on_commit_callbacks(execute=True):
        _action(admin_client, "send_test_digest", [subscriber])
    mail = TransactionalEmail.objects.get(subscriber=subscriber)
    assert mail.subject.startswith("[Test]") and "Protein folding at scale" in mail.text
    assert mail.status == "sent"
    assert not Delivery.objects.exists()


def test_no_test_digest_for_someone_who_left(admin_client: Client) -> None:
    from digest.delivery.models import TransactionalEmail
    from tests.factories import MatchFactory

    gone = SubscriberFactory(status="unsubscribed")
    MatchFactory(subscriber=gone, score=0.95)
    response = _action(admin_client, "send_test_digest", [gone])
    assert response.status_code == 302
    assert not TransactionalEmail.objects.exists()
