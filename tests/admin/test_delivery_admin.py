from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from digest.delivery.models import Delivery, DeliveryItem
from tests.factories import DeliveryFactory, PaperFactory

pytestmark = pytest.mark.django_db


def _failed_with_paper(**kwargs: Any) -> Delivery:
    delivery = DeliveryFactory(
        status="failed", sent_at=None, attempts=5, last_error="421 try later", **kwargs
    )
    paper = PaperFactory(title="Protein folding with diffusion models")
    DeliveryItem.objects.create(
        delivery=delivery, paper=paper, position=0, score=0.9, why="matches “protein”"
    )
    Delivery.objects.filter(pk=delivery.pk).update(prepared_at=delivery.created_at)
    delivery.refresh_from_db()
    return delivery


def test_retrying_a_failed_delivery_queues_it_and_one_send_task(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = _failed_with_paper()
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("admin:delivery_delivery_retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "queued" and delivery.next_attempt_at is None
    assert len(callbacks) == 1


def test_the_retry_sends_the_digest(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    delivery = _failed_with_paper()
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(reverse("admin:delivery_delivery_retry", args=[delivery.pk]))
    run: Callable[[], None] = callbacks[0]
    run()  # the send task, in-process (embedded mode)
    delivery.refresh_from_db()
    assert delivery.status == "sent", delivery.last_error


def test_only_failed_deliveries_are_retried(admin_client: Client) -> None:
    sent = DeliveryFactory(status="sent")
    bounced = DeliveryFactory(status="bounced", sent_at=None)
    admin_client.post(
        reverse("admin:delivery_delivery_changelist"),
        {"action": "retry_failed", ACTION_CHECKBOX_NAME: [sent.pk, bounced.pk]},
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent", "bounced"}


def test_the_delivery_page_offers_retry_and_the_message(admin_client: Client) -> None:
    delivery = _failed_with_paper()
    content = admin_client.get(reverse("admin:delivery_delivery_change", args=[delivery.pk])).content.decode()
    assert 'id="retry-delivery"' in content and "421 try later" in content
    assert reverse("admin:delivery_delivery_message", args=[delivery.pk]) in content


def test_the_message_view_shows_the_digest_as_built_for_sending(admin_client: Client) -> None:
    delivery = _failed_with_paper()
    response = admin_client.get(reverse("admin:delivery_delivery_message", args=[delivery.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert delivery.message_id in content.replace("&lt;", "<").replace("&gt;", ">")
    assert "List-Unsubscribe" in content
    assert "Protein folding with diffusion models" in response.context["text"]
    raw = admin_client.get(reverse("admin:delivery_delivery_message", args=[delivery.pk]), {"raw": "1"})
    assert raw["Content-Type"] == "message/rfc822" and delivery.subscriber.email.encode() in raw.content


def test_the_message_needs_the_address_permission(db: None) -> None:
    from django.contrib.auth.models import Permission, User

    delivery = _failed_with_paper()
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_delivery", "change_delivery"]))
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:delivery_delivery_message", args=[delivery.pk])).status_code == 403
    page = client.get(reverse("admin:delivery_delivery_change", args=[delivery.pk])).content.decode()
    assert delivery.subscriber.email not in page
