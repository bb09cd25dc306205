"""The public pages in Debian's chromium at phone width: no sideways scrolling, the search form
works from the keyboard, and feed autodiscovery is in the rendered document."""

from __future__ import annotations

import pytest

from tests.factories import PaperFactory, TopicFactory
from tests.feeds.conftest import NOISE


@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_320px_screen_and_search_works_from_the_keyboard(live_server, page) -> None:  # type: ignore[no-untyped-def]
    for title, abstract in NOISE:
        PaperFactory(title=title, abstract=abstract)
    paper = PaperFactory(
        title="A_very_long_unbroken_title_" * 6,
        abstract="Supercalifragilistic" * 30,
        authors=["Grace Hopper"],
    )
    topic = TopicFactory(slug="reefs", name="Reefs", keywords="reef")
    page.set_viewport_size({"width": 320, "height": 640})

    for path in (
        "/",
        paper.get_absolute_url(),
        topic.get_absolute_url(),
        f"/authors/{paper.authorships.get().author_id}/",
    ):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        assert page.locator("head link[rel=alternate][type='application/atom+xml']").count() >= 1

    page.goto(live_server.url + "/")
    page.get_by_label("Search titles, abstracts and authors").fill("coral")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=coral*")
    assert page.locator("article.paper h3").all_inner_texts() == ["Coral reef resilience to heat waves"]
