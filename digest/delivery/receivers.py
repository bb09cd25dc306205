"""django-anymail's tracking signal, wired to the delivery service."""

from __future__ import annotations

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from digest.delivery.services import provider_event_record


@receiver(tracking, dispatch_uid="delivery.provider_event")
def provider_event_received(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object
) -> None:
    provider_event_record(event=event, esp_name=esp_name)
