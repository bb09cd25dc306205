from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from digest.delivery.models import Delivery
from digest.delivery.rendering import view_url
from digest.delivery.services import deliveries_prepare, digests_queue
from subscriptions.tokens import Purpose, token_make
from tests.delivery.helpers import subscriber_with_matches
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def _prepared() -> Delivery:
    subscriber_with_matches(2)
    digests_queue(now=timezone.now())
    delivery = Delivery.objects.select_related("subscriber").get()
    deliveries_prepare(delivery_ids=[delivery.pk])
    return delivery


def test_the_signed_link_shows_the_digest(client: Client) -> None:
    delivery = _prepared()
    url = view_url(delivery).removeprefix("http://testserver")
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    first = delivery.items.select_related("paper").first()
    assert first is not None and first.paper.title in body
    assert "View this email in your browser" not in body
    assert response["X-Robots-Tag"] == "noindex"


def test_a_tampered_or_foreign_link_is_a_404(client: Client) -> None:
    delivery = _prepared()
    url = view_url(delivery).removeprefix("http://testserver")
    assert client.get(url[:-3] + "xx/").status_code == 404
    other = SubscriberFactory()
    foreign = token_make(purpose=Purpose.VIEW_DIGEST, subscriber=other, extra=str(delivery.pk))
    assert client.get(f"/digest/{foreign}/").status_code == 404
    wrong_purpose = token_make(purpose=Purpose.MANAGE, subscriber=delivery.subscriber, extra=str(delivery.pk))
    assert client.get(f"/digest/{wrong_purpose}/").status_code == 404
