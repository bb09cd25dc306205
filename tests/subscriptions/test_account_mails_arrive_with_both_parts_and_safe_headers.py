"""Account mails through the real outbox and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions import links
from subscriptions.models import Subscriber
from tests.subscriptions.conftest import link, path_of, signup_data

pytestmark = pytest.mark.django_db(transaction=True)


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_the_confirmation_arrives_from_the_account_address_with_text_and_html(
    smtp_settings: Any, settings: Any
) -> None:
    settings.ACCOUNT_FROM_EMAIL = "Paper Digest Accounts <accounts@digest.example>"
    settings.DEFAULT_FROM_EMAIL = "Paper Digest <digest@digest.example>"

    Client().post(reverse("subscriptions:subscribe"), signup_data(email="ada@example.org"))

    smtp_settings.wait_for(1)
    [message] = smtp_settings.parsed()
    assert message["To"] == "ada@example.org"
    assert "accounts@digest.example" in message["From"]
    assert message["Subject"] == "Confirm your Paper Digest subscription"
    assert message["Auto-Submitted"] == "auto-generated"
    # Confirmations are not bulk mail: no unsubscribe header that a provider could one-click.
    assert message["List-Unsubscribe"] is None
    text, html = _parts(message)
    confirm_url = link(text, "/subscribe/confirm/")
    assert confirm_url in html
    assert "7 days" in text
    assert '<meta name="viewport"' in html or "@media" in html  # responsive layout

    # The link in the mail confirms.
    Client().post(path_of(confirm_url))
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
    smtp_settings.wait_for(2)
    welcome = smtp_settings.parsed()[1]
    assert welcome["Subject"] == "Your Paper Digest subscription is confirmed"
    welcome_text, welcome_html = _parts(welcome)
    assert "/manage/" in welcome_text and "/unsubscribe/" in welcome_text
    feed_rss, _ = links.personal_feed_urls(Subscriber.objects.get())
    assert feed_rss in welcome_text
    assert link(welcome_text, "/manage/") in welcome_html


def test_no_field_can_inject_a_header_into_a_mail(smtp_settings: Any) -> None:
    attempts = [
        "victim@example.org\r\nBcc: everyone@example.org",
        "victim@example.org%0d%0aBcc:everyone@example.org",
        "victim@example.org\nSubject: you won",
        "victim@example.org, everyone@example.org",
        "Victim <victim@example.org>",
    ]
    for attempt in attempts:
        response = Client().post(
            reverse("subscriptions:subscribe"),
            signup_data(email=attempt, keywords="x\r\nBcc: everyone@example.org"),
        )
        assert response.status_code == 200, attempt
    # A header-looking keyword is only text: accepted, and never a header.
    response = Client().post(
        reverse("subscriptions:subscribe"),
        signup_data(email="ok@example.org", keywords="Bcc: everyone@example.org\nSubject: hi"),
    )
    assert response.status_code == 302
    smtp_settings.wait_for(1)
    assert len(smtp_settings.messages) == 1
    _mail_from, rcpts, raw = smtp_settings.messages[0]
    assert rcpts == ["ok@example.org"]
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"everyone@example.org" not in headers
    assert b"\nBcc:" not in headers


def test_an_internationalised_domain_is_sent_in_ascii(smtp_settings: Any) -> None:
    Client().post(reverse("subscriptions:subscribe"), signup_data(email="reader@bücher.example"))
    smtp_settings.wait_for(1)
    _, rcpts, _ = smtp_settings.messages[0]
    assert rcpts == ["reader@xn--bcher-kva.example"]
