from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.test import Client, override_settings
from django.urls import reverse

from digest.curation.demo import demo_login_file, step_admin_login

pytestmark = pytest.mark.django_db


def _run() -> str:
    command = BaseCommand(stdout=StringIO())
    step_admin_login(command)
    return command.stdout.getvalue()


def test_the_demo_prints_a_working_admin_login_and_the_same_one_on_every_run(tmp_path: object) -> None:
    with override_settings(VAR_DIR=tmp_path):
        first = _run()
        second = _run()
        password = demo_login_file().read_text().strip()
        mode = stat.S_IMODE(demo_login_file().stat().st_mode)
    assert f"password {password}" in first and first == second
    assert mode == 0o600
    assert User.objects.filter(username="admin", is_superuser=True).count() == 1
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "admin", "password": password})
    assert response.status_code == 302


def test_the_demo_does_not_print_or_reset_a_password_someone_changed(tmp_path: object) -> None:
    with override_settings(VAR_DIR=tmp_path):
        _run()
        user = User.objects.get(username="admin")
        user.set_password("my-own-password")
        user.save()
        out = _run()
    assert "password set by you" in out
    assert User.objects.get(username="admin").check_password("my-own-password")
