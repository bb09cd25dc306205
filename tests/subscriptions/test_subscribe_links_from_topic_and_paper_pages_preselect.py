from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from tests.factories import PaperFactory
from tests.subscriptions.conftest import signup_data


def test_a_topic_link_ticks_that_topic(client: Client, topic: Any) -> None:
    response = client.get(reverse("subscriptions:subscribe"), {"topic": topic.slug})

    assert response.status_code == 200
    assert response.context["form"].initial["topics"] == [topic]
    assert f'value="{topic.pk}"' in response.text
    assert "checked" in response.text.split(f'value="{topic.pk}"')[1].split(">")[0]


def test_a_paper_link_carries_the_paper_into_the_first_example(client: Client, db: None) -> None:
    paper = PaperFactory(title="Flows <b>on</b> manifolds")

    page = client.get(reverse("subscriptions:subscribe"), {"paper": paper.pk})
    assert "Flows &lt;b&gt;on&lt;/b&gt; manifolds" in page.text

    client.post(reverse("subscriptions:subscribe"), signup_data(keywords="", paper=str(paper.pk)))

    subscriber = Subscriber.objects.get()
    assert list(subscriber.example_papers.all()) == [paper]


def test_unknown_or_hostile_preselections_are_ignored(client: Client, db: None) -> None:
    hidden = PaperFactory(hidden=True)
    for query in ({"topic": "nope"}, {"paper": "x' OR 1=1"}, {"paper": str(hidden.pk)}, {"paper": "9" * 40}):
        response = client.get(reverse("subscriptions:subscribe"), query)
        assert response.status_code == 200
        assert response.context["form"].initial == {}
