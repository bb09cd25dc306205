from __future__ import annotations

from django.test import Client
from django.urls import reverse

from subscriptions.forms import consent_wording
from subscriptions.models import Subscriber
from tests.subscriptions.conftest import link, mails, path_of, signup_data


def test_signup_stores_preferences_and_consent_but_stays_pending(client: Client, topic: object) -> None:
    response = client.post(
        reverse("subscriptions:subscribe"),
        signup_data(email="Ada@Example.ORG", topics=[topic.pk]),  # type: ignore[attr-defined]
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:subscribe-sent")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Ada@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.keyword_list == ["diffusion", '"graph neural network"']
    assert subscriber.timezone == "Europe/Berlin"
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.consent_ip == "203.0.113.7"
    assert subscriber.consent_user_agent == "TestBrowser/1.0"
    assert subscriber.consent_text == consent_wording()
    assert "emails with new research papers" in subscriber.consent_text
    assert subscriber.consent_at is not None
    [mail] = mails(to="Ada@example.org")
    assert mail.name == "confirm"


def test_the_confirmation_link_shows_a_button_and_only_the_post_activates(
    client: Client, topic: object
) -> None:
    client.post(reverse("subscriptions:subscribe"), signup_data(topics=[topic.pk]))  # type: ignore[attr-defined]
    confirm_path = path_of(link(mails(name="confirm")[0].text, "/subscribe/confirm/"))

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b"<button" in page.content
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING

    response = client.post(confirm_path)
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert response.status_code == 302
    assert response["Location"].startswith("/manage/")
    assert [m.name for m in mails()] == ["confirm", "welcome"]

    # Confirming twice is harmless: no second welcome, still active.
    again = client.post(confirm_path)
    assert again.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
    assert [m.name for m in mails()] == ["confirm", "welcome"]


def test_a_signup_without_any_interest_is_refused_with_a_message(client: Client, db: None) -> None:
    response = client.post(reverse("subscriptions:subscribe"), signup_data(keywords=""))
    assert response.status_code == 200
    assert b"Pick at least one topic or enter a keyword" in response.content
    assert not Subscriber.objects.exists()


def test_the_honeypot_gets_the_same_answer_and_nothing_happens(client: Client, db: None) -> None:
    response = client.post(reverse("subscriptions:subscribe"), signup_data(website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:subscribe-sent")
    assert not Subscriber.objects.exists()
    assert mails() == []


def test_the_signup_form_renders_labels_topics_and_time_zones(client: Client, topic: object) -> None:
    response = client.get(reverse("subscriptions:subscribe"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'for="id_email"' in body
    assert "Machine learning" in body
    assert '<option value="Asia/Kolkata">' in body
    assert "csrfmiddlewaretoken" in body
    assert "timezone.js" in body
