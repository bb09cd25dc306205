"""Nobody can learn from the signup page whether an address subscribes."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import mails, signup_data


def _final_page(client: Client, email: str) -> tuple[int, str, bytes]:
    response = client.post(reverse("subscriptions:subscribe"), signup_data(email=email))
    followed = client.get(response["Location"])
    # The CSRF token differs per client; everything else must be byte-identical.
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", followed.content)
    return response.status_code, response["Location"], body


def test_new_pending_active_and_unsubscribed_addresses_get_the_same_answer(db: None) -> None:
    SubscriberFactory(email="pending@example.org", status=Subscriber.Status.PENDING, confirmed_at=None)
    SubscriberFactory(email="active@example.org", status=Subscriber.Status.ACTIVE)
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)

    answers = {
        email: _final_page(Client(), email)
        for email in ("new@example.org", "pending@example.org", "active@example.org", "gone@example.org")
    }

    assert len(set(answers.values())) == 1, answers.keys()


def test_an_active_address_gets_its_manage_link_and_its_preferences_stay_untouched(db: None) -> None:
    subscriber = SubscriberFactory(email="active@example.org", keywords="original", timezone="Asia/Tokyo")

    Client().post(
        reverse("subscriptions:subscribe"),
        signup_data(email="ACTIVE@example.org", keywords="hijacked", timezone="UTC"),
    )

    subscriber.refresh_from_db()
    assert subscriber.keywords == "original"
    assert subscriber.timezone == "Asia/Tokyo"
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert [m.name for m in mails(to="active@example.org")] == ["manage-link"]
    assert Subscriber.objects.count() == 1


def test_a_pending_address_gets_a_new_confirmation_with_the_latest_preferences(db: None) -> None:
    Client().post(reverse("subscriptions:subscribe"), signup_data(email="p@example.org", keywords="first"))
    Client().post(reverse("subscriptions:subscribe"), signup_data(email="P@example.org", keywords="second"))

    subscriber = Subscriber.objects.get()
    assert subscriber.keyword_list == ["second"]
    assert [m.name for m in mails(to="p@example.org")] == ["confirm", "confirm"]


def test_the_manage_link_request_page_answers_the_same_for_strangers(db: None) -> None:
    SubscriberFactory(email="active@example.org")
    url = reverse("subscriptions:manage-request")

    known = Client().post(url, {"email": "active@example.org"})
    unknown = Client().post(url, {"email": "nobody@example.org"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.name for m in mails()] == ["manage-link"]
