from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_setup_roles_rebuilds_a_deleted_group_and_makes_users_curators() -> None:
    Group.objects.filter(name="curator").delete()
    User.objects.create_user("ada", password="pw")
    out = StringIO()
    call_command("setup_roles", "--add", "ada", stdout=out)
    ada = User.objects.get(username="ada")
    assert ada.is_staff and ada.groups.filter(name="curator").exists()
    assert ada.has_perm("papers.change_topic") and not ada.has_perm("subscriptions.view_subscriber_email")
    assert "ada is a curator" in out.getvalue()


def test_setup_roles_names_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("setup_roles", "--add", "nobody", stdout=StringIO())
