from __future__ import annotations

from django.test import Client

from subscriptions import links
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import link, mails, path_of


def _request_change(subscriber: Subscriber, new_email: str) -> None:
    response = Client().post(
        path_of(links.manage_url(subscriber)), {"action": "change-email", "new_email": new_email}
    )
    assert response.status_code == 302


def test_the_address_switches_only_after_the_new_one_confirms(db: None) -> None:
    subscriber = SubscriberFactory(email="old@example.org")
    old_manage = path_of(links.manage_url(subscriber))
    _request_change(subscriber, "New@Example.org")

    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org"
    assert subscriber.pending_email == "New@example.org"
    [mail] = mails(name="change-email")
    assert mail.to == "New@example.org"
    # A bounce of a mistyped new address must not suppress the subscription at the old one.
    assert mail.subscriber_id is None
    confirm_path = path_of(link(mail.text, "/email/confirm/"))

    page = Client().get(confirm_path)
    assert page.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org"

    response = Client().post(confirm_path)
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.email == "New@example.org"
    assert subscriber.pending_email == ""
    # The old inbox is told, without the full new address.
    [notice] = mails(name="email-changed")
    assert notice.to == "old@example.org"
    assert "N…@example.org" in notice.text
    assert "New@example.org" not in notice.text + notice.html
    # Links mailed to the old address no longer control the subscription.
    assert Client().get(old_manage).status_code == 400
    assert Client().post(confirm_path).status_code == 400


def test_a_newer_request_replaces_the_older_link(db: None) -> None:
    subscriber = SubscriberFactory(email="old@example.org")
    _request_change(subscriber, "first@example.org")
    first = path_of(link(mails(name="change-email")[0].text, "/email/confirm/"))
    _request_change(subscriber, "second@example.org")

    assert Client().post(first).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org"


def test_moving_onto_an_address_that_already_subscribes_changes_nothing(db: None) -> None:
    SubscriberFactory(email="taken@example.org")
    subscriber = SubscriberFactory(email="old@example.org")
    _request_change(subscriber, "taken@example.org")
    confirm_path = path_of(link(mails(name="change-email")[0].text, "/email/confirm/"))

    response = Client().post(confirm_path)

    assert response.status_code == 400
    assert b"already has its own subscription" in response.content
    subscriber.refresh_from_db()
    assert subscriber.email == "old@example.org"


def test_an_invalid_new_address_is_a_form_error(db: None) -> None:
    subscriber = SubscriberFactory()
    response = Client().post(
        path_of(links.manage_url(subscriber)),
        {"action": "change-email", "new_email": "x@example.org\r\nBcc: y@example.org"},
    )
    assert response.status_code == 200
    assert b"cannot be in an email address" in response.content
    assert mails() == []
