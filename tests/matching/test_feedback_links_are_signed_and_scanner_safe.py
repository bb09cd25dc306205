import pytest
from django.test import Client

from digest.matching.links import feedback_urls
from digest.matching.models import Feedback
from tests.factories import SubscriberFactory
from tests.matching.helpers import paper

pytestmark = pytest.mark.django_db


def test_links_are_absolute_and_differ_per_paper_and_direction() -> None:
    subscriber = SubscriberFactory()
    first, second = paper("One"), paper("Two")
    more, less = feedback_urls(subscriber=subscriber, paper=first)
    assert more.startswith("http://testserver/feedback/") and more.endswith("/more/")
    assert less.endswith("/less/")
    assert feedback_urls(subscriber=subscriber, paper=second)[0] != more


def test_opening_a_link_records_nothing_until_the_page_posts(django_capture_on_commit_callbacks) -> None:
    subscriber = SubscriberFactory()
    item = paper("A paper about <b>bold</b> claims")
    more, _ = feedback_urls(subscriber=subscriber, paper=item)
    client = Client(enforce_csrf_checks=True)
    page = client.get(more.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert not Feedback.objects.exists()  # a link scanner's prefetch changes nothing
    body = page.content.decode()
    assert 'method="post"' in body and ".submit()" in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(more.removeprefix("http://testserver"))
    assert done.status_code == 200
    assert Feedback.objects.get().value == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda url: url.replace("/more/", "/sideways/"),
        lambda url: url.replace("/feedback/", "/feedback/x"),
    ],
)
def test_a_tampered_link_gets_a_clear_error_page_not_a_500(mangle) -> None:
    subscriber = SubscriberFactory()
    more, _ = feedback_urls(subscriber=subscriber, paper=paper("One"))
    response = Client().post(mangle(more).removeprefix("http://testserver"))
    assert response.status_code in (400, 404)
    assert b"link" in response.content or b"paper" in response.content
    assert not Feedback.objects.exists()


def test_a_link_dies_when_the_subscriber_revokes_their_tokens() -> None:
    subscriber = SubscriberFactory()
    more, _ = feedback_urls(subscriber=subscriber, paper=paper("One"))
    subscriber.token_version += 1
    subscriber.save()
    assert Client().post(more.removeprefix("http://testserver")).status_code == 400


def test_a_link_to_a_hidden_paper_says_it_is_gone() -> None:
    subscriber = SubscriberFactory()
    item = paper("One", hidden=True)
    more, _ = feedback_urls(subscriber=subscriber, paper=item)
    response = Client().get(more.removeprefix("http://testserver"))
    assert response.status_code == 404
    assert b"no longer available" in response.content
