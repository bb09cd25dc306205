from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "digest.delivery"
    label = "delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        # Bounces and complaints from an email provider arrive through anymail's webhooks.
        from digest.delivery import receivers  # noqa: F401
