"""Every kind of hostile input gets a form error (or is stored as inert text), never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscriptions.conftest import mails, signup_data

HOSTILE_FIELDS = [
    ("email", "a" * 100_000 + "@example.org", "too long"),
    ("email", "<script>alert(1)</script>@example.org", "not valid"),
    ("email", "victim@example.org\r\nBcc: all@example.org", "cannot be in an email address"),
    ("email", "admin@exam\u202eple.org", "cannot be in an email address"),
    ("keywords", "\n".join(f"keyword{i}" for i in range(10_000)), "at most"),
    ("keywords", "x" * 30_000, "at most"),
    ("keywords", "evil\u202etxt", "right-to-left"),
    ("keywords", "nul\x00byte", "Null characters are not allowed"),
    ("timezone", "Mars/Olympus_Mons", "Select a valid choice"),
    ("timezone", "../../etc/passwd", "Select a valid choice"),
    ("timezone", "", "This field is required"),
    ("frequency", "hourly", "Select a valid choice"),
    ("send_hour", "25", "Select a valid choice"),
    ("send_hour", "-1", "Select a valid choice"),
    ("weekday", "9" * 50, "Select a valid choice"),
    ("topics", "not-a-number", "is not a valid value"),
    ("topics", "99999999999999999999999", "Select a valid choice"),
    ("consent", None, "tick the box"),
]


@pytest.mark.parametrize(("field", "value", "message"), HOSTILE_FIELDS)
def test_hostile_signup_fields_get_a_form_error(
    db: None, field: str, value: str | None, message: str
) -> None:
    response = Client().post(reverse("subscriptions:subscribe"), signup_data(**{field: value}))

    assert response.status_code == 200
    assert message.encode() in response.content
    assert not Subscriber.objects.exists()
    assert mails() == []


def test_markup_in_keywords_is_stored_as_text_and_escaped_in_pages_and_mail(db: None) -> None:
    Client().post(
        reverse("subscriptions:subscribe"),
        signup_data(keywords='<img src=x onerror=alert(1)>, "<b>bold</b>"'),
    )
    subscriber = Subscriber.objects.get()
    assert "<img src=x onerror=alert(1)>" in subscriber.keyword_list

    from subscriptions import links
    from tests.subscriptions.conftest import path_of

    page = Client().get(path_of(links.manage_url(subscriber)))
    assert page.status_code == 200
    assert b"<img src=x" not in page.content
    assert b"&lt;img src=x onerror=alert(1)&gt;" in page.content
    for mail in mails():
        assert "<img src=x" not in mail.html


def test_a_flood_of_topic_checkboxes_is_refused_without_a_500(db: None) -> None:
    data = signup_data()
    body = "&".join(f"{key}={value}" for key, value in data.items() if key != "topics")
    body += "&" + "&".join("topics=1" for _ in range(5000))
    response = Client().post(
        reverse("subscriptions:subscribe"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {200, 400}
    assert not Subscriber.objects.exists()


def test_unicode_lookalike_addresses_are_separate_and_the_real_one_is_untouched(db: None) -> None:
    SubscriberFactory(email="paypal@example.org")
    # A Cyrillic "a" (U+0430) in the local part is refused outright; it can never be confused in a header.
    response = Client().post(reverse("subscriptions:subscribe"), signup_data(email="p\u0430ypal@example.org"))
    assert response.status_code == 200
    assert b"not valid" in response.content


def test_hostile_manage_fields_get_form_errors(db: None) -> None:
    from subscriptions import links
    from tests.subscriptions.conftest import path_of

    subscriber = SubscriberFactory(keywords="kept")
    path = path_of(links.manage_url(subscriber))
    client = Client()
    base = {
        "action": "save",
        "keywords": "kept",
        "frequency": "weekly",
        "weekday": "2",
        "send_hour": "7",
        "timezone": "America/New_York",
        "papers_per_digest": "10",
        "email_format": "text",
    }
    cases = [
        ({"papers_per_digest": "100000"}, b"Select a valid choice"),
        ({"email_format": "pdf"}, b"Select a valid choice"),
        ({"excluded_terms": "\n".join(str(i) for i in range(10_000))}, b"at most"),
        ({"followed_authors": "Nobody Atall\u202e"}, b"right-to-left"),
        ({"followed_authors": "Someone Unknown"}, b"We have no papers by"),
        ({"add_papers": "9999.99999"}, b"could not find"),
        ({"timezone": "Not/AZone"}, b"Select a valid choice"),
    ]
    for override, message in cases:
        response = client.post(path, {**base, **override})
        assert response.status_code == 200, override
        assert message in response.content, override
    subscriber.refresh_from_db()
    assert subscriber.keywords == "kept"
    assert subscriber.frequency == "daily"


def test_a_body_larger_than_the_upload_limit_is_a_400_not_a_500(db: None) -> None:
    response = Client().post(reverse("subscriptions:subscribe"), signup_data(keywords="k" * 3_000_000))
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_errors_are_summarised_at_the_top_without_a_misleading_second_message(db: None) -> None:
    response = Client().post(
        reverse("subscriptions:subscribe"),
        signup_data(keywords="\n".join(f"k{i}" for i in range(300)), timezone="Nope"),
    )
    body = response.content.decode()
    assert 'role="alert"' in body
    assert '<a href="#id_keywords">' in body and '<a href="#id_timezone">' in body
    assert "Pick at least one topic" not in body
