"""Settings come from the environment; a wrong value stops `manage.py` at start with one message that
names the variable, and a fresh checkout needs nothing created by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def manage_check(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    env.update({"DEBUG": "1", "VAR_DIR": str(tmp_path / "var")}, **overrides)
    return subprocess.run(
        [sys.executable, str(MANAGE), "check"], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://db/digest"),
        ("CELERY_BROKER_URL", "amqp://guest@localhost//"),
        ("EMAIL_URL", "ftp://mail.example.org"),
        ("SITE_URL", "papers.example.org"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
    ],
)
def test_a_wrong_value_exits_with_a_message_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = manage_check(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert f"{variable} must" in result.stderr
    assert repr(value) in result.stderr


def test_production_mode_refuses_to_start_without_a_long_secret_key(tmp_path: Path) -> None:
    result = manage_check(tmp_path, DEBUG="0", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 32 random characters" in result.stderr


def test_the_defaults_start_on_a_fresh_checkout_and_create_the_var_directory(tmp_path: Path) -> None:
    result = manage_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var").is_dir()
