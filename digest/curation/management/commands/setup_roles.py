"""`manage.py setup_roles`: (re)create the curator group and its permissions.

`migrate` does the same after every run; this is for an instance whose group was edited or
deleted by hand. Optionally adds existing users to the group.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from digest.curation.services import CURATOR_GROUP, curator_group_setup


class Command(BaseCommand):
    help = "Create the curator group (edit papers and topics, no subscriber addresses); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--add", nargs="*", default=[], metavar="USERNAME", help="make these users curators"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        group = curator_group_setup()
        user_model = get_user_model()
        for username in options["add"]:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r}")
            # Curators work in the admin, which only staff may enter.
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
            self.stdout.write(f"{username} is a curator")
        self.stdout.write(f"group {CURATOR_GROUP!r}: {group.permissions.count()} permissions")
