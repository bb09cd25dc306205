"""Every public page carries <link rel="alternate"> to its feeds, and each advertised feed works."""

from __future__ import annotations

import pytest
from django.test import Client
from lxml import html as lxml_html

from digest.papers.models import Author
from tests.factories import PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _alternates(client: Client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    doc = lxml_html.fromstring(response.content)
    return {link.get("href"): link.get("type") for link in doc.xpath("//head/link[@rel='alternate']")}


def test_every_page_advertises_feeds_that_answer_with_their_type(client: Client) -> None:
    paper = PaperFactory(authors=["Emmy Noether"])
    topic = TopicFactory(slug="algebra")
    author = Author.objects.get(name="Emmy Noether")
    expected = {
        "/": {"/feeds/latest.rss", "/feeds/latest.atom"},
        paper.get_absolute_url(): {f"/feeds/authors/{author.pk}.rss", "/feeds/latest.atom"},
        author.get_absolute_url(): {f"/feeds/authors/{author.pk}.rss", f"/feeds/authors/{author.pk}.atom"},
        topic.get_absolute_url(): {"/feeds/topics/algebra.rss", "/feeds/topics/algebra.atom"},
    }

    for page, feeds in expected.items():
        alternates = _alternates(client, page)
        assert feeds <= set(alternates), page
        for href, content_type in alternates.items():
            response = client.get(href)
            assert response.status_code == 200
            assert response["Content-Type"].startswith(content_type)


def test_pages_are_accessible_basics(client: Client) -> None:
    paper = PaperFactory()
    for url in ("/", paper.get_absolute_url()):
        doc = lxml_html.fromstring(client.get(url).content)
        assert doc.get("lang") == "en"
        assert doc.xpath("//meta[@name='viewport']")
        assert len(doc.xpath("//h1")) == 1
        # Every form control has a label.
        for control in doc.xpath("//input[not(@type='hidden')] | //select"):
            assert doc.xpath(f"//label[@for='{control.get('id')}']"), control.get("name")
