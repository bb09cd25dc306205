"""Absolute, signed links to a subscriber's own pages, for emails and feeds (SITE_URL based)."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, token_make


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(subscriber: Subscriber) -> str:
    token = token_make(purpose=Purpose.CONFIRM, subscriber=subscriber)
    return absolute(reverse("subscriptions:confirm", args=[token]))


def manage_url(subscriber: Subscriber) -> str:
    token = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
    return absolute(reverse("subscriptions:manage", args=[token]))


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The page behind the link in every email and the List-Unsubscribe target (RFC 8058 POST)."""
    token = token_make(purpose=Purpose.UNSUBSCRIBE, subscriber=subscriber)
    return absolute(reverse("subscriptions:unsubscribe", args=[token]))


def change_email_url(subscriber: Subscriber, *, address_hash: str) -> str:
    token = token_make(purpose=Purpose.CHANGE_EMAIL, subscriber=subscriber, extra=address_hash)
    return absolute(reverse("subscriptions:change-email", args=[token]))


def personal_feed_urls(subscriber: Subscriber) -> tuple[str, str]:
    """(RSS, Atom) URLs of the private feed; rotating `feed_token` revokes both at once."""
    token = subscriber.feed_token
    try:
        rss = reverse("feed-personal-rss", args=[token])
        atom = reverse("feed-personal-atom", args=[token])
    except NoReverseMatch:
        # The feeds app is not mounted (yet): the same paths it serves them at.
        rss, atom = f"/feeds/personal/{token}.rss", f"/feeds/personal/{token}.atom"
    return absolute(rss), absolute(atom)
