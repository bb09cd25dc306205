"""The main curation flows in real headless Chromium against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from digest.delivery.models import Delivery, DeliveryItem
from digest.papers.models import Paper, Topic
from tests.factories import DeliveryFactory, PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-test-password"


@pytest.fixture
def admin_page(browser: Any) -> Iterator[Any]:
    """A desktop-sized tab; generous timeouts because the first topic preview may load the
    sentence-embedding model in the server thread."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _log_in(page: Any, live_server: Any, user: User) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


@pytest.fixture
def curator_user(db: None) -> User:
    from django.contrib.auth.models import Group

    user = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="curator"))
    return user


@pytest.fixture
def topic() -> Topic:
    return TopicFactory(name="Curated list", description="", keywords='"protein folding"')


def _preview_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#topic-preview li > a").all_inner_texts()]


def test_a_curator_hides_a_paper_and_it_leaves_the_topic_preview(
    admin_page: Any, live_server: Any, curator_user: User, topic: Topic
) -> None:
    from playwright.sync_api import expect

    hidden = PaperFactory(title="Protein folding with diffusion models")
    kept = PaperFactory(title="Protein folding at scale")
    _log_in(admin_page, live_server, curator_user)
    admin_page.goto(f"{live_server.url}/admin/papers/topic/{topic.pk}/change/")
    expect(admin_page.locator(f'#topic-preview li[data-paper-id="{hidden.pk}"]')).to_have_count(1)

    admin_page.locator(f'#topic-preview li[data-paper-id="{hidden.pk}"] button').click()

    expect(admin_page.locator(".messagelist")).to_contain_text("hidden")
    expect(admin_page.locator(f'#topic-preview li[data-paper-id="{hidden.pk}"]')).to_have_count(0)
    expect(admin_page.locator(f'#topic-preview li[data-paper-id="{kept.pk}"]')).to_have_count(1)
    assert Paper.objects.get(pk=hidden.pk).hidden


def test_a_curator_edits_a_topic_and_sees_its_preview_change(
    admin_page: Any, live_server: Any, curator_user: User, topic: Topic
) -> None:
    from playwright.sync_api import expect

    PaperFactory(title="Protein folding with diffusion models")
    attention = PaperFactory(title="Sparse attention for long documents")
    _log_in(admin_page, live_server, curator_user)
    admin_page.goto(f"{live_server.url}/admin/papers/topic/{topic.pk}/change/")
    first = admin_page.locator("#topic-preview li").first
    expect(first).to_contain_text("Protein folding")

    admin_page.fill("#id_keywords", '"sparse attention"')
    # The preview re-ranks as typed, before anything is saved.
    expect(admin_page.locator("#topic-preview")).to_contain_text("unsaved keywords")
    expect(admin_page.locator("#topic-preview li").first).to_have_attribute(
        "data-paper-id", str(attention.pk)
    )
    assert Topic.objects.get(pk=topic.pk).keywords == '"protein folding"'

    admin_page.click("input[name=_continue]")
    expect(admin_page.locator(".messagelist")).to_contain_text("changed successfully")
    expect(admin_page.locator("#topic-preview li").first).to_have_attribute(
        "data-paper-id", str(attention.pk)
    )
    expect(admin_page.locator("#topic-preview")).not_to_contain_text("unsaved keywords")
    assert Topic.objects.get(pk=topic.pk).keywords == '"sparse attention"'


def test_an_administrator_retries_a_failed_delivery(admin_page: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    admin = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    delivery = DeliveryFactory(
        status="failed", sent_at=None, attempts=5, last_error="421 4.7.0 try again later"
    )
    DeliveryItem.objects.create(
        delivery=delivery,
        paper=PaperFactory(title="Protein folding at scale"),
        position=0,
        score=0.9,
        why="protein",
    )
    Delivery.objects.filter(pk=delivery.pk).update(prepared_at=timezone.now())
    _log_in(admin_page, live_server, admin)
    admin_page.goto(f"{live_server.url}/admin/delivery/delivery/?status__exact=failed")
    admin_page.click(f"text=#{delivery.pk}")
    expect(admin_page.locator(".field-last_error")).to_contain_text("421 4.7.0")

    admin_page.click("#retry-delivery")

    expect(admin_page.locator(".messagelist")).to_contain_text("queued for another attempt")
    # Embedded mode sends right after the commit, within the request.
    expect(admin_page.locator(".field-status")).to_contain_text("sent", ignore_case=True)
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
    expect(admin_page.locator("#retry-delivery")).to_have_count(0)
    admin_page.click("#view-message")
    expect(admin_page.locator("#message-text")).to_contain_text("Protein folding at scale")
