"""The digest HTML in a real browser: no sideways scrolling at 320 px, dark colours in dark mode."""

from __future__ import annotations

import pytest
from django.utils import timezone

from digest.delivery.models import Delivery
from digest.delivery.rendering import digest_render
from digest.delivery.services import deliveries_prepare, digests_queue
from tests.delivery.helpers import subscriber_with_matches
from tests.factories import MatchFactory, PaperFactory

pytestmark = pytest.mark.django_db


def _html() -> str:
    subscriber = subscriber_with_matches(3)
    long_title = PaperFactory(title="Supercalifragilistic" * 8, code_urls=["https://github.com/" + "x" * 120])
    MatchFactory(subscriber=subscriber, paper=long_title, score=0.99)
    digests_queue(now=timezone.now())
    delivery = Delivery.objects.select_related("subscriber").get()
    deliveries_prepare(delivery_ids=[delivery.pk])
    rendered, _ = digest_render(delivery=delivery, items=list(delivery.items.select_related("paper")))
    assert rendered.html
    return rendered.html


def test_no_horizontal_scrolling_at_320_px(browser: object) -> None:
    html = _html()
    context = browser.new_context(viewport={"width": 320, "height": 640})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.set_content(html)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320
    finally:
        context.close()


def test_dark_mode_switches_the_background_and_text(browser: object) -> None:
    html = _html()
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 600, "height": 800}, color_scheme=scheme)  # type: ignore[attr-defined]
        try:
            page = context.new_page()
            page.set_content(html)
            colours[scheme] = page.evaluate(
                """() => [getComputedStyle(document.body).backgroundColor,
                          getComputedStyle(document.querySelector('.dm-text div')).color]"""
            )
        finally:
            context.close()
    assert colours["light"] != colours["dark"]
    assert colours["dark"][0] == "rgb(13, 17, 23)"
    assert colours["dark"][1] == "rgb(230, 237, 243)"
