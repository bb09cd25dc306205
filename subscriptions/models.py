from __future__ import annotations

import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone

from digest.papers.models import Author, Paper, Topic


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def active(self) -> SubscriberQuerySet:
        return self.filter(status=Subscriber.Status.ACTIVE)

    def mailable(self) -> SubscriberQuerySet:
        # Only active subscribers are ever sent anything but a confirmation of their own request.
        return self.active()


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        PAUSED = "paused"
        UNSUBSCRIBED = "unsubscribed"
        BOUNCED = "bounced"
        COMPLAINED = "complained"

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"

    class EmailFormat(models.TextChoices):
        HTML = "html", "HTML and plain text"
        TEXT = "text", "Plain text only"

    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    weekday = models.PositiveSmallIntegerField(default=0, help_text="0 = Monday; used by weekly delivery")
    send_hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour, 0-23")
    timezone = models.CharField(max_length=64, default="UTC")
    papers_per_digest = models.PositiveSmallIntegerField(default=10)
    email_format = models.CharField(max_length=8, choices=EmailFormat.choices, default=EmailFormat.HTML)

    # Interests. Keywords and exclusions: one term or "quoted phrase" per line.
    topics = models.ManyToManyField(Topic, blank=True, related_name="subscribers")
    keywords = models.TextField(blank=True)
    excluded_terms = models.TextField(blank=True)
    followed_authors = models.ManyToManyField(Author, blank=True, related_name="followers")
    example_papers = models.ManyToManyField(Paper, blank=True, related_name="example_for_subscribers")

    # Rotating it revokes the old private feed URL at once.
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    # Bumped on email change and on re-confirming after leaving, so every earlier signed link dies.
    # Not bumped on unsubscribe: a second click on the same unsubscribe link must still work.
    token_version = models.PositiveIntegerField(default=1)
    pending_email = models.EmailField(max_length=254, blank=True)

    # Consent record: what they agreed to, when and from where.
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    consent_user_agent = models.CharField(max_length=500, blank=True)
    consent_text = models.TextField(blank=True)

    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Why the subscriber left the active state: "link", "one-click", "bounced", "complained", "admin".
    status_reason = models.CharField(max_length=32, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    soft_bounces = models.PositiveSmallIntegerField(default=0)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique")]
        permissions = [("view_subscriber_email", "Can see subscriber email addresses")]

    def __str__(self) -> str:
        return f"Subscriber #{self.pk}"

    @property
    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]

    @property
    def excluded_list(self) -> list[str]:
        return [line.strip() for line in self.excluded_terms.splitlines() if line.strip()]
