from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Subscriber
from subscriptions.tokens import BadToken, Purpose, token_make, token_read
from tests.factories import SubscriberFactory

ROUTES = {
    Purpose.CONFIRM: "subscriptions:confirm",
    Purpose.MANAGE: "subscriptions:manage",
    Purpose.UNSUBSCRIBE: "subscriptions:unsubscribe",
    Purpose.CHANGE_EMAIL: "subscriptions:change-email",
}


@pytest.mark.parametrize("made_for", list(Purpose))
def test_a_token_made_for_one_purpose_is_refused_by_every_other_page(db: None, made_for: Purpose) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    token = token_make(purpose=made_for, subscriber=subscriber)
    for purpose, route in ROUTES.items():
        if purpose == made_for:
            continue
        response = Client().post(reverse(route, args=[token]), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400, (made_for, purpose)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_tokens_carry_no_address_in_clear(db: None) -> None:
    subscriber = SubscriberFactory(email="secret.person@example.org")
    for purpose in Purpose:
        token = token_make(purpose=purpose, subscriber=subscriber)
        assert "secret" not in token.lower()
        assert "example" not in token.lower()


def test_a_confirmation_link_expires_after_seven_days_and_offers_a_fresh_one(db: None) -> None:
    subscriber = SubscriberFactory(
        status=Subscriber.Status.PENDING, confirmed_at=None, consent_at=timezone.now()
    )
    with time_machine.travel(timezone.now() - timedelta(days=7, minutes=1), tick=False):
        token = token_make(purpose=Purpose.CONFIRM, subscriber=subscriber)

    page = Client().get(reverse("subscriptions:confirm", args=[token]))
    assert page.status_code == 400
    assert b"expired" in page.content
    assert b"Send me a fresh link" in page.content
    refused = Client().post(reverse("subscriptions:confirm", args=[token]))
    assert refused.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING

    resent = Client().post(reverse("subscriptions:confirm-resend"), {"token": token})
    assert resent.status_code == 302
    from tests.subscriptions.conftest import mails

    assert [m.name for m in mails()] == ["confirm"]


def test_a_version_bump_revokes_every_earlier_token(db: None) -> None:
    subscriber = SubscriberFactory()
    token = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(token_version=subscriber.token_version + 1)
    with pytest.raises(BadToken):
        token_read(purpose=Purpose.MANAGE, token=token)
    assert Client().get(reverse("subscriptions:manage", args=[token])).status_code == 400


@pytest.mark.parametrize("token", ["", "x", "a" * 600, "Zm9v:bar:baz", "../../etc/passwd", "%00"])
def test_garbage_tokens_get_a_400_page_not_a_500(db: None, token: str) -> None:
    for route in ROUTES.values():
        try:
            url = reverse(route, args=[token])
        except Exception:
            continue
        assert Client().get(url).status_code in {400, 404}


def test_a_tampered_confirmation_link_explains_and_offers_to_subscribe_again(db: None) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    token = token_make(purpose=Purpose.CONFIRM, subscriber=subscriber)
    response = Client().get(reverse("subscriptions:confirm", args=[token[:-3] + "abc"]))
    assert response.status_code == 400
    assert b"This link doesn" in response.content
    assert reverse("subscriptions:subscribe").encode() in response.content
