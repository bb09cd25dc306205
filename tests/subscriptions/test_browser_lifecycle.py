"""The whole lifecycle as a person does it, in headless chromium against a live server and a real
SMTP server: subscribe, confirm from the mail, change preferences, rotate the feed, unsubscribe,
subscribe again. The main flow runs with JavaScript disabled: every step must work without it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from subscriptions.models import Subscriber
from tests.factories import TopicFactory
from tests.subscriptions.conftest import link

pytestmark = pytest.mark.django_db(transaction=True)


def _mail_link(smtp: Any, count: int, part: str) -> str:
    smtp.wait_for(count)
    message = smtp.parsed()[count - 1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    url = link(text, part)
    assert url in html
    return url


def test_a_reader_goes_through_the_whole_lifecycle_without_javascript(
    browser: Any, live_server: Any, smtp_settings: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    TopicFactory(name="Machine learning", slug="machine-learning")
    TopicFactory(name="Robotics", slug="robotics")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 700})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # 1. Subscribe.
        page.goto(f"{live_server.url}/subscribe/")
        page.get_by_label("Email address").fill("grace@example.org")
        page.get_by_label("Machine learning").check()
        page.get_by_label("Your own keywords").fill('diffusion, "world models"')
        page.get_by_label("Frequency").select_option("weekly")
        page.get_by_label("Day (weekly digests)").select_option("2")
        page.get_by_label("Delivery time").select_option("7")
        page.get_by_label("Time zone").select_option("Europe/Berlin")
        page.locator("#id_consent").check()
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        subscriber = Subscriber.objects.get()
        assert subscriber.status == Subscriber.Status.PENDING
        assert (subscriber.frequency, subscriber.weekday, subscriber.send_hour) == ("weekly", 2, 7)

        # 2. Confirm from the mail: the link shows a button, the button confirms.
        page.goto(_mail_link(smtp_settings, 1, "/subscribe/confirm/"))
        assert Subscriber.objects.get().status == Subscriber.Status.PENDING
        page.get_by_role("button", name="Confirm").click()
        page.get_by_text("Your subscription is confirmed").wait_for()
        assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
        assert page.locator("#status").inner_text() == "Active"
        # Readable on a 320 px phone: nothing on the manage page forces horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 320

        # 3. Change preferences.
        page.get_by_label("Robotics").check()
        page.get_by_label("Not interested in").fill("survey")
        page.get_by_label("Papers per digest").select_option("5")
        page.get_by_label("Plain text only").check()
        page.get_by_role("button", name="Save preferences").click()
        page.get_by_text("Your preferences are saved").wait_for()
        subscriber.refresh_from_db()
        assert sorted(t.slug for t in subscriber.topics.all()) == ["machine-learning", "robotics"]
        assert subscriber.excluded_list == ["survey"]
        assert (subscriber.papers_per_digest, subscriber.email_format) == (5, "text")

        # 4. Rotate the private feed URL.
        old_feed = page.locator("#feed-rss").inner_text()
        assert subscriber.feed_token in old_feed
        page.get_by_role("button", name="Make a new feed address").click()
        page.get_by_text("Your private feed has a new address").wait_for()
        new_feed = page.locator("#feed-rss").inner_text()
        assert new_feed != old_feed
        subscriber.refresh_from_db()
        assert subscriber.feed_token in new_feed

        # 5. Unsubscribe: one button, then done.
        page.get_by_role("link", name="Unsubscribe").click()
        page.get_by_role("heading", name="Unsubscribe?").wait_for()
        assert page.get_by_role("button").count() == 1
        page.get_by_role("button", name="Unsubscribe").click()
        page.get_by_role("heading", name="You're unsubscribed").wait_for()
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.UNSUBSCRIBED

        # 6. Subscribe again: confirmation first.
        page.get_by_role("link", name="Subscribe again").click()
        page.get_by_role("button", name="Subscribe again").click()
        page.get_by_text("We sent a confirmation link").wait_for()
        assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
        page.goto(_mail_link(smtp_settings, 3, "/subscribe/confirm/"))
        page.get_by_role("button", name="Confirm").click()
        page.get_by_text("Your subscription is confirmed").wait_for()
        assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
        smtp_settings.wait_for(4)
        subjects = [m["Subject"] for m in smtp_settings.parsed()]
        assert subjects == [
            "Confirm your Paper Digest subscription",
            "Your Paper Digest subscription is confirmed",
            "Confirm your Paper Digest subscription",
            "Your Paper Digest subscription is confirmed",
        ]
    finally:
        context.close()


def test_the_signup_form_preselects_the_browsers_time_zone(browser: Any, live_server: Any) -> None:
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/subscribe/")
        assert page.get_by_label("Time zone").input_value() == "Asia/Tokyo"
    finally:
        context.close()


def test_the_signup_page_fits_a_320_pixel_phone(page: Any, live_server: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/subscribe/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert re.search(r"Subscribe", page.title())


@pytest.mark.parametrize("name", ["confirm", "welcome", "manage-link", "change-email", "email-changed"])
def test_each_account_mail_is_readable_on_a_320_pixel_screen(page: Any, name: str) -> None:
    from digest.emails import email_render

    long_link = "https://digest.example/subscribe/confirm/" + "A" * 120 + "/"
    rendered = email_render(
        name=name,
        context={
            "confirm_url": long_link,
            "manage_url": long_link,
            "unsubscribe_url": long_link,
            "feed_rss_url": long_link,
            "change_url": long_link,
            "max_age_days": 7,
            "first_time": True,
            "new_email_masked": "n…@example.org",
            "subscribe_url": long_link,
        },
    )
    page.set_viewport_size({"width": 320, "height": 640})
    page.set_content(rendered.html)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.get_by_role("link").first.is_visible()
