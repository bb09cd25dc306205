from __future__ import annotations

import json

from django.test import Client

from subscriptions import links
from subscriptions.models import Subscriber
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory
from tests.subscriptions.conftest import path_of


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "action": "save",
        "keywords": "diffusion",
        "excluded_terms": "",
        "followed_authors": "",
        "add_papers": "",
        "frequency": "daily",
        "weekday": "0",
        "send_hour": "8",
        "timezone": "UTC",
        "papers_per_digest": "10",
        "email_format": "html",
    }
    data.update(overrides)
    return data


def test_saving_the_manage_form_updates_every_interest_and_the_schedule(db: None) -> None:
    subscriber = SubscriberFactory(keywords="old")
    topic = TopicFactory(name="Robotics", slug="robotics")
    lecun = PaperFactory(authors=["Yann LeCun", "Someone Else"]).authorships.first().author
    example = PaperFactory(arxiv_id="2401.99999", key="2401.99999")
    path = path_of(links.manage_url(subscriber))

    response = Client().post(
        path,
        _form(
            topics=[topic.pk],
            keywords='"world models", planning',
            excluded_terms="survey",
            followed_authors="Y. LeCun",
            add_papers="https://arxiv.org/abs/2401.99999v2",
            frequency="weekly",
            weekday="4",
            send_hour="18",
            timezone="Asia/Kolkata",
            papers_per_digest="5",
            email_format="text",
        ),
    )

    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.keyword_list == ['"world models"', "planning"]
    assert subscriber.excluded_list == ["survey"]
    assert list(subscriber.followed_authors.all()) == [lecun]
    assert list(subscriber.example_papers.all()) == [example]
    assert (subscriber.frequency, subscriber.weekday, subscriber.send_hour) == ("weekly", 4, 18)
    assert subscriber.timezone == "Asia/Kolkata"
    assert (subscriber.papers_per_digest, subscriber.email_format) == (5, "text")

    page = Client().get(path).content.decode()
    assert "Yann LeCun" in page
    assert example.title in page

    # Unticking an example paper removes it.
    Client().post(path, _form(followed_authors="Yann LeCun"))
    assert not subscriber.example_papers.exists()


def test_pause_and_resume(db: None) -> None:
    subscriber = SubscriberFactory()
    path = path_of(links.manage_url(subscriber))

    Client().post(path, {"action": "pause"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PAUSED
    assert subscriber.paused_at is not None
    assert not Subscriber.objects.mailable().filter(pk=subscriber.pk).exists()

    Client().post(path, {"action": "resume"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_rotating_the_feed_token_changes_the_private_feed_urls(db: None) -> None:
    subscriber = SubscriberFactory()
    old_rss, old_atom = links.personal_feed_urls(subscriber)
    path = path_of(links.manage_url(subscriber))
    assert old_rss in Client().get(path).content.decode()

    Client().post(path, {"action": "rotate-feed"})

    subscriber.refresh_from_db()
    new_rss, new_atom = links.personal_feed_urls(subscriber)
    assert new_rss != old_rss and new_atom != old_atom
    page = Client().get(path).content.decode()
    assert new_rss in page and old_rss not in page


def test_my_data_downloads_as_json_with_everything_stored(db: None) -> None:
    subscriber = SubscriberFactory(keywords="diffusion", consent_text="I agree", consent_ip="192.0.2.1")
    subscriber.topics.add(TopicFactory(name="Vision", slug="vision"))
    response = Client().get(path_of(links.manage_url(subscriber)) + "my-data.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["email"] == subscriber.email
    assert data["interests"]["keywords"] == ["diffusion"]
    assert data["interests"]["topics"] == [{"name": "Vision", "slug": "vision"}]
    assert data["consent"]["ip"] == "192.0.2.1"
    assert data["digests"] == []
    assert data["feedback"] == []


def test_delete_asks_first_then_removes_everything(db: None) -> None:
    from digest.delivery.models import TransactionalEmail

    subscriber = SubscriberFactory(email="leaving@example.org")
    TransactionalEmail.objects.create(
        subscriber=subscriber, name="confirm", to="leaving@example.org", subject="s", text="t"
    )
    path = path_of(links.manage_url(subscriber))
    unsubscribe = path_of(links.unsubscribe_url(subscriber))

    ask = Client().get(path + "delete/")
    assert ask.status_code == 200
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()

    done = Client().post(path + "delete/")
    assert done.status_code == 200
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert not TransactionalEmail.objects.filter(to__iexact="leaving@example.org").exists()
    assert Client().get(path).status_code == 400
    assert Client().post(unsubscribe).status_code == 400


def test_manage_pages_are_private_and_need_csrf_for_cookie_forms(db: None) -> None:
    subscriber = SubscriberFactory()
    path = path_of(links.manage_url(subscriber))
    response = Client().get(path)
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrfmiddlewaretoken" in response.content.decode()

    forged = Client(enforce_csrf_checks=True).post(path, {"action": "pause"})
    assert forged.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_typed_author_names_follow_every_spelling_of_that_person(db: None) -> None:
    from subscriptions.selectors import authors_resolve

    yann = PaperFactory(authors=["Yann LeCun"]).authorships.get().author
    initial = PaperFactory(authors=["Y. LeCun"]).authorships.get().author
    accented = PaperFactory(authors=["Balázs Csanád Csáji"]).authorships.get().author
    PaperFactory(authors=["Xavier LeCun", "Li Wei"])

    authors, unknown = authors_resolve(names=["lecun, yann", "B. Csaji", "Nobody Here"])

    assert set(authors) == {yann, initial, accented}
    assert unknown == ["Nobody Here"]
    by_surname, _ = authors_resolve(names=["LeCun"])
    assert len(by_surname) == 3


def test_a_rotated_feed_token_revokes_the_old_private_feed_at_once(db: None) -> None:
    subscriber = SubscriberFactory()
    old_rss, old_atom = (path_of(url) for url in links.personal_feed_urls(subscriber))
    assert Client().get(old_rss).status_code == 200
    assert Client().get(old_atom).status_code == 200

    Client().post(path_of(links.manage_url(subscriber)), {"action": "rotate-feed"})

    subscriber.refresh_from_db()
    new_rss, _ = (path_of(url) for url in links.personal_feed_urls(subscriber))
    assert Client().get(old_rss).status_code == 404
    assert Client().get(old_atom).status_code == 404
    assert Client().get(new_rss).status_code == 200
