from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.utils import timezone

from digest.delivery.models import Delivery, OutboxStatus
from digest.delivery.services import digests_queue, digests_send
from tests.delivery.helpers import subscriber_with_matches
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def _run() -> list[int]:
    digests_queue(now=timezone.now())
    ids = list(Delivery.objects.filter(status=OutboxStatus.QUEUED).values_list("id", flat=True))
    if ids:
        digests_send(delivery_ids=ids)
    return ids


def test_a_due_subscriber_gets_one_digest_with_headers_and_both_parts(smtp_settings: object) -> None:
    subscriber = subscriber_with_matches(2)
    hostile = PaperFactory(
        title="Attention <b>is</b> all",
        abstract="We show <script>alert(1)</script> that $\\alpha < \\beta$ holds " + "word " * 200,
        code_urls=["https://github.com/example/code"],
    )
    MatchFactory(subscriber=subscriber, paper=hostile, score=0.99, why="matches your keyword “attention”")
    _run()
    _run()  # the next tick: the period already has its digest
    smtp_settings.wait_for(1)  # type: ignore[attr-defined]
    assert smtp_settings.count_for(subscriber.email) == 1  # type: ignore[attr-defined]
    delivery = Delivery.objects.get(subscriber=subscriber)
    assert delivery.status == OutboxStatus.SENT
    assert delivery.items.count() == 3

    _sender, rcpts, raw = smtp_settings.messages[0]  # type: ignore[attr-defined]
    assert rcpts == [subscriber.email]
    msg: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    assert msg["Subject"].startswith("3 new papers")
    assert msg["From"] == settings.DEFAULT_FROM_EMAIL
    assert msg["To"] == subscriber.email
    assert msg["Date"]
    assert msg["Message-ID"] == delivery.message_id
    assert len(msg["List-Id"].encode()) < 255
    assert "<http://testserver/unsubscribe/" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Feedback-ID"].endswith(":digest:" + settings.DELIVERY_FEEDBACK_ID_SENDER)

    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "1. Attention <b>is</b> all" in text  # plain text is not HTML-escaped
    assert "https://github.com/example/code" in text
    assert "Unsubscribe: http://testserver/unsubscribe/" in text
    assert settings.POSTAL_ADDRESS in text and settings.POSTAL_ADDRESS in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Attention &lt;b&gt;is&lt;/b&gt; all" in html
    assert "…" in html  # the abstract is cut to a snippet
    assert 'name="color-scheme"' in html and "prefers-color-scheme: dark" in html
    assert "/digest/" in html  # the view-in-browser link


def test_text_only_subscribers_get_text_only(smtp_settings: object) -> None:
    subscriber = subscriber_with_matches(2, email_format="text")
    _run()
    _sender, _rcpts, raw = smtp_settings.wait_for(1)[0]  # type: ignore[attr-defined]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "text/plain"
    assert subscriber.email in msg["To"]


def test_nothing_good_means_no_email_and_the_period_is_done(smtp_settings: object) -> None:
    subscriber = SubscriberFactory(send_hour=0)
    _run()
    assert Delivery.objects.get(subscriber=subscriber).status == OutboxStatus.SKIPPED
    assert smtp_settings.messages == []  # type: ignore[attr-defined]


def test_the_next_digest_never_repeats_a_paper(smtp_settings: object) -> None:
    subscriber = subscriber_with_matches(2)
    _run()
    first = set(Delivery.objects.get(subscriber=subscriber).items.values_list("paper_id", flat=True))
    Delivery.objects.filter(subscriber=subscriber).update(period="2000-01-01")  # pretend it was long ago
    MatchFactory(subscriber=subscriber, paper=PaperFactory())
    _run()
    latest = Delivery.objects.filter(subscriber=subscriber).order_by("-period").first()
    assert latest is not None
    second = set(latest.items.values_list("paper_id", flat=True))
    assert second and not (first & second)


def test_unsubscribing_between_queue_and_send_sends_nothing(smtp_settings: object) -> None:
    from subscriptions.services import subscriber_unsubscribe

    subscriber = subscriber_with_matches(1)
    digests_queue(now=timezone.now())
    subscriber_unsubscribe(subscriber_id=subscriber.pk, source="test")
    ids = list(Delivery.objects.values_list("id", flat=True))
    digests_send(delivery_ids=ids)
    digests_queue(now=timezone.now())
    assert smtp_settings.messages == []  # type: ignore[attr-defined]
    assert Delivery.objects.get().status == OutboxStatus.FAILED
