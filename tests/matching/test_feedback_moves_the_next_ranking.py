import pytest
from django.test import Client

from digest.matching.links import feedback_urls
from digest.matching.models import Feedback, Match
from digest.matching.services import matches_write
from tests.factories import SubscriberFactory
from tests.matching.helpers import background, paper

pytestmark = pytest.mark.django_db


def _order(subscriber) -> list[str]:
    return list(
        Match.objects.filter(subscriber=subscriber).order_by("-score").values_list("paper__title", flat=True)
    )


def _click(client: Client, url: str, capture) -> None:
    path = url.removeprefix("http://testserver")
    with capture(execute=True):
        response = client.post(path)
    assert response.status_code == 200


def test_less_then_more_like_this_reorders_the_ranking(django_capture_on_commit_callbacks) -> None:
    background()
    warmup = paper(
        "Learning rate warm-up for deep networks", "Warm-up of the learning rate helps Adam train."
    )
    cosine = paper(
        "Learning rate schedules with cosine decay", "Cosine decay of the learning rate in training."
    )
    rank_a = paper("Learning to rank for web search", "Ranking documents for search queries.")
    rank_b = paper("Learning to rank with pairwise losses", "Pairwise losses for ranking search results.")
    subscriber = SubscriberFactory(keywords='"learning rate"\n"learning to rank"')
    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[warmup.pk, cosine.pk, rank_a.pk, rank_b.pk])
    before = _order(subscriber)
    assert set(before) == {warmup.title, cosine.title, rank_a.title, rank_b.title}

    client = Client()
    _click(client, feedback_urls(subscriber=subscriber, paper=warmup)[1], django_capture_on_commit_callbacks)
    after_less = _order(subscriber)
    assert warmup.title not in after_less  # they have seen it
    # The paper like the disliked one fell to the bottom or out; the others stayed.
    assert {rank_a.title, rank_b.title} <= set(after_less)
    assert cosine.title not in after_less[:2]
    assert after_less != before

    _click(client, feedback_urls(subscriber=subscriber, paper=rank_a)[0], django_capture_on_commit_callbacks)
    after_more = _order(subscriber)
    assert after_more[0] == rank_b.title
    top = Match.objects.get(subscriber=subscriber, paper=rank_b)
    assert "you liked" in top.why
    assert dict(Feedback.objects.filter(subscriber=subscriber).values_list("paper_id", "value")) == {
        warmup.pk: -1,
        rank_a.pk: 1,
    }


def test_the_latest_click_on_a_paper_wins(django_capture_on_commit_callbacks) -> None:
    item = paper("Learning rate warm-up for deep networks")
    subscriber = SubscriberFactory(keywords="learning")
    more, less = feedback_urls(subscriber=subscriber, paper=item)
    client = Client()
    _click(client, more, django_capture_on_commit_callbacks)
    _click(client, less, django_capture_on_commit_callbacks)
    assert list(Feedback.objects.values_list("value", flat=True)) == [-1]
