"""The Celery app. Configuration lives in the settings module under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")

app = Celery("digest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
