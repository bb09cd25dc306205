"""Signed one-click feedback links for emails, personal feeds and paper pages."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from digest.papers.models import Paper
from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, token_make


def feedback_urls(*, subscriber: Subscriber, paper: Paper) -> tuple[str, str]:
    """Absolute ("more like this", "less like this") URLs, bound to this subscriber and paper."""
    token = token_make(purpose=Purpose.FEEDBACK, subscriber=subscriber, extra=str(paper.pk))
    return (
        f"{settings.SITE_URL}{reverse('matching:feedback', args=[token, 'more'])}",
        f"{settings.SITE_URL}{reverse('matching:feedback', args=[token, 'less'])}",
    )
