from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "digest.delivery"
    label = "delivery"
    verbose_name = "Delivery"
