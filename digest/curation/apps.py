from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # Permissions are created by post_migrate too, so the group is (re)built after every migrate
    # and after every test-database flush; `setup_roles` is the manual way to do the same.
    from digest.curation.services import curator_group_setup

    curator_group_setup(using=kwargs.get("using", "default"))


class CurationConfig(AppConfig):
    """Curation services behind the admin: merge, hide/feature, roles, dashboard, login limits."""

    name = "digest.curation"
    label = "curation"
    default = True
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connected to our own app's post_migrate, which fires after auth's has created permissions.
        post_migrate.connect(_roles_after_migrate, sender=self, dispatch_uid="curation-roles")
