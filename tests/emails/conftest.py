from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import emails


@pytest.fixture
def email_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private template directory (with the real shared layout) for a throwaway message type."""
    (tmp_path / emails.LAYOUT).write_text((emails.TEMPLATE_DIR / emails.LAYOUT).read_text())
    (tmp_path / "hello.mjml").write_text(
        '<mj-section><mj-column><mj-text>Hello {{ name }}, <a href="{{ link }}">open</a></mj-text></mj-column></mj-section>'
    )
    (tmp_path / "hello.txt").write_text("Hello {{ name }},\n\nopen: {{ link }}\n")
    (tmp_path / "hello-subject.txt").write_text("Hello\n {{ name }}\n")
    monkeypatch.setattr(emails, "TEMPLATE_DIR", tmp_path)
    for cached in (
        emails._html_engine,
        emails._text_engine,
        emails.html_template,
        emails.text_template,
        emails.subject_template,
    ):
        cached.cache_clear()
    yield tmp_path
    for cached in (
        emails._html_engine,
        emails._text_engine,
        emails.html_template,
        emails.text_template,
        emails.subject_template,
    ):
        cached.cache_clear()
