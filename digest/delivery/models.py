"""The outbox: one Delivery row per (subscriber, period), one TransactionalEmail row per account mail.

Progress is recorded per recipient, never per batch: a crash can leave at most the one message that
was on the wire in doubt, and that row says so (`may_have_sent`).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from digest.papers.models import Paper
from subscriptions.models import Subscriber


class OutboxStatus(models.TextChoices):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    BOUNCED = "bounced"
    # The period was checked and nothing was good enough to send: the period is done, no email.
    SKIPPED = "skipped"


CLAIMABLE = (OutboxStatus.QUEUED, OutboxStatus.RETRYING)
FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.BOUNCED, OutboxStatus.SKIPPED)


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def claimable(self, now: object) -> DeliveryQuerySet:
        return self.filter(status__in=CLAIMABLE).filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
        )


class Delivery(models.Model):
    """One digest for one subscriber and one period (the local date of its scheduled send)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    period = models.DateField(help_text="Local date of the scheduled send; identifies the period")
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, db_index=True
    )
    covers_since = models.DateTimeField()
    covers_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When a chunk task was last enqueued for this row; a lost task (broker restart) is re-enqueued
    # once this is old.
    enqueued_at = models.DateTimeField(default=timezone.now)
    prepared_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a crash interrupted this row in transmission: the server may have the message already.
    may_have_sent = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "period"], name="delivery_one_per_period"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next")]

    def __str__(self) -> str:
        return f"Digest {self.period} for subscriber {self.subscriber_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """Stable per delivery: a retry or a re-send after a crash carries the same Message-ID."""
        from django.conf import settings

        return f"<digest.{self.pk}.{self.period:%Y%m%d}@{settings.DELIVERY_MESSAGE_ID_DOMAIN}>"


class DeliveryItem(models.Model):
    """A paper in a digest, frozen when the digest is prepared (the view-in-browser page reads these)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="delivery_items")
    position = models.PositiveSmallIntegerField()
    score = models.FloatField()
    why = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "paper"], name="deliveryitem_once_per_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} in {self.delivery_id}"


class TransactionalEmail(models.Model):
    """An account mail (confirm, welcome, manage link, email change), rendered when queued."""

    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactional_emails"
    )
    name = models.CharField(max_length=64)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    may_have_sent = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} mail #{self.pk} ({self.status})"

    @property
    def message_id(self) -> str:
        from django.conf import settings

        return f"<mail.{self.pk}@{settings.DELIVERY_MESSAGE_ID_DOMAIN}>"


class DeliveryEvent(models.Model):
    """A bounce, complaint or delivery report, from the SMTP dialogue or an email provider's webhook."""

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard_bounce"
        SOFT_BOUNCE = "soft_bounce"
        COMPLAINT = "complaint"
        DELIVERED = "delivered"

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    recipient = models.EmailField(max_length=254, blank=True)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery_events"
    )
    source = models.CharField(max_length=32, help_text="smtp, or the email provider's name")
    # The provider's event id: a webhook the provider retries is recorded once.
    provider_event_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.subscriber_id} via {self.source}"
