"""`manage.py demo` ends with the URLs worth opening; each of them must lead somewhere real."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import resolve

from digest.papers.management.commands.demo import demo_urls
from tests.factories import PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_every_printed_url_resolves_and_the_public_ones_answer_200(client: Client, settings) -> None:
    settings.DEBUG = True
    PaperFactory()
    topic = TopicFactory(name="Robotics", slug="robotics")
    urls = [url for url, _ in demo_urls()]
    assert any(url.endswith(f"/topics/{topic.slug}/") for url in urls)
    for url in urls:
        path = urlsplit(url).path
        resolve(path)
        if not path.startswith(("/admin/", "/_mailbox/")):
            assert client.get(path).status_code == 200, path
