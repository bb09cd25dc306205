from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "digest.papers"
    label = "papers"
    verbose_name = "Papers"
