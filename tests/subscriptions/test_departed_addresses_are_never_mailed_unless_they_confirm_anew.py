from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions import links, services
from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, token_make
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import link, mails, path_of, signup_data


@pytest.mark.parametrize("reason", ["bounced", "complained"])
def test_suppress_takes_an_active_subscriber_out_of_the_mailable_set(db: None, reason: str) -> None:
    subscriber = SubscriberFactory()
    assert services.subscriber_suppress(subscriber_id=subscriber.pk, reason=reason)
    subscriber.refresh_from_db()
    assert subscriber.status == reason
    assert subscriber.unsubscribed_at is not None
    assert not Subscriber.objects.mailable().exists()


def test_a_complaint_overrides_a_bounce_but_not_the_reverse(db: None) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.COMPLAINED)
    assert not services.subscriber_suppress(subscriber_id=subscriber.pk, reason="bounced")
    bounced = SubscriberFactory(status=Subscriber.Status.BOUNCED)
    assert services.subscriber_suppress(subscriber_id=bounced.pk, reason="complained")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_suppress_refuses_an_unknown_reason(db: None) -> None:
    with pytest.raises(ValueError):
        services.subscriber_suppress(subscriber_id=1, reason="annoyed")


def test_unsubscribe_is_idempotent_and_keeps_links_working(db: None) -> None:
    subscriber = SubscriberFactory()
    version = subscriber.token_version
    assert services.subscriber_unsubscribe(subscriber_id=subscriber.pk, source="admin")
    assert not services.subscriber_unsubscribe(subscriber_id=subscriber.pk, source="admin")
    subscriber.refresh_from_db()
    assert subscriber.token_version == version


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_the_manage_link_request_never_mails_a_departed_address(db: None, status: str) -> None:
    SubscriberFactory(email="gone@example.org", status=status)
    Client().post(reverse("subscriptions:manage-request"), {"email": "gone@example.org"})
    assert mails() == []


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_resubscribing_needs_a_fresh_confirmation_that_revokes_old_links(db: None, status: str) -> None:
    subscriber = SubscriberFactory(email="back@example.org", status=status, keywords="old")
    old_manage = path_of(links.manage_url(subscriber))

    Client().post(reverse("subscriptions:subscribe"), signup_data(email="back@example.org", keywords="new"))

    subscriber.refresh_from_db()
    assert subscriber.status == status  # nothing is sent until they confirm
    [mail] = mails(to="back@example.org")
    assert mail.name == "confirm"
    confirm_path = path_of(link(mail.text, "/subscribe/confirm/"))
    Client().post(confirm_path)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.keyword_list == ["new"]
    assert Client().get(old_manage).status_code == 400
    # The used link is harmless: it says "already subscribed" rather than failing.
    again = Client().get(confirm_path)
    assert again.status_code == 200
    assert b"already subscribed" in again.content


def test_resubscribe_from_the_manage_page_sends_a_confirmation(db: None) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)
    path = path_of(links.manage_url(subscriber))
    page = Client().get(path)
    assert b"Subscribe again" in page.content

    Client().post(path, {"action": "resubscribe"})

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert [m.name for m in mails()] == ["confirm"]


def test_the_confirm_token_of_a_deleted_subscriber_is_a_bad_link(db: None) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.PENDING, confirmed_at=None)
    token = token_make(purpose=Purpose.CONFIRM, subscriber=subscriber)
    services.subscriber_delete(subscriber_id=subscriber.pk)
    assert Client().post(reverse("subscriptions:confirm", args=[token])).status_code == 400
