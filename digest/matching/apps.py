from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "digest.matching"
    label = "matching"
    verbose_name = "Matching"
