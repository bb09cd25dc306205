"""The List-Unsubscribe target: GET shows one button, any POST unsubscribes at once with a 200."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from subscriptions import links
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import path_of


def _path(subscriber: Subscriber) -> str:
    return path_of(links.unsubscribe_url(subscriber))


def test_a_get_never_unsubscribes_and_shows_one_button(db: None) -> None:
    subscriber = SubscriberFactory()
    response = Client().get(_path(subscriber))
    assert response.status_code == 200
    assert response.content.count(b"<button") == 1
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_urlencoded_one_click_post_without_cookies_or_csrf_unsubscribes_with_200(db: None) -> None:
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        _path(subscriber), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not response.has_header("Location")
    assert not response.cookies
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.status_reason == "one-click"
    assert subscriber.unsubscribed_at is not None


def test_a_multipart_one_click_post_unsubscribes_too(db: None) -> None:
    subscriber = SubscriberFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(_path(subscriber), {"List-Unsubscribe": "One-Click"})  # multipart by default

    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_second_click_still_says_you_are_unsubscribed(db: None) -> None:
    subscriber = SubscriberFactory()
    path = _path(subscriber)
    Client().post(path, {"confirm": "1"})

    again_get = Client().get(path)
    again_post = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})

    assert again_get.status_code == again_post.status_code == 200
    assert b"unsubscribed" in again_get.content
    assert b"<button" not in again_get.content
    subscriber.refresh_from_db()
    assert subscriber.status_reason == "link"  # the first click's source is kept


def test_a_bounced_address_stays_bounced_when_it_unsubscribes(db: None) -> None:
    subscriber = SubscriberFactory(status=Subscriber.Status.BOUNCED)
    response = Client().post(_path(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_a_tampered_unsubscribe_link_is_a_clear_400_page(db: None) -> None:
    subscriber = SubscriberFactory()
    token = _path(subscriber).rstrip("/").rsplit("/", 1)[1]
    response = Client().post(reverse("subscriptions:unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert b"doesn" in response.content
