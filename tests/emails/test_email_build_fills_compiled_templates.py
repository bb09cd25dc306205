from __future__ import annotations

from pathlib import Path

import pytest

from digest import emails


def test_html_is_escaped_and_text_is_not(email_templates: Path) -> None:
    message = emails.email_build(
        name="hello",
        context={"name": "<b>Ada</b> & co", "link": "https://x.test/?a=1&b=2"},
        to="a@example.org",
    )
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; co" in html
    assert 'href="https://x.test/?a=1&amp;b=2"' in html
    assert "Hello <b>Ada</b> & co," in message.body
    assert message.subject == "Hello <b>Ada</b> & co"
    assert message.to == ["a@example.org"]


def test_text_only_has_no_html_part(email_templates: Path) -> None:
    message = emails.email_build(name="hello", context={"name": "Ada"}, to="a@example.org", text_only=True)
    assert message.alternatives == []


def test_mjml_is_compiled_once_per_process(email_templates: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = emails.mjml_to_html

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(emails, "mjml_to_html", counting)
    for n in range(5):
        emails.email_render(name="hello", context={"name": f"reader {n}"})
    assert len(calls) == 1


def test_an_unknown_name_is_a_clear_error(email_templates: Path) -> None:
    with pytest.raises(emails.EmailTemplateError):
        emails.email_render(name="../settings", context={})
    with pytest.raises(emails.EmailTemplateError):
        emails.email_render(name="nope", context={})


@pytest.mark.parametrize(
    "to", ["a@example.org\r\nBcc: b@example.org", "A <a@example.org>", "a@example.org, b@example.org"]
)
def test_recipients_that_could_add_headers_or_addresses_are_refused(email_templates: Path, to: str) -> None:
    with pytest.raises(emails.HeaderInjection):
        emails.email_build(name="hello", context={"name": "Ada"}, to=to)


def test_a_line_break_in_a_value_cannot_reach_the_subject(email_templates: Path) -> None:
    rendered = emails.email_render(name="hello", context={"name": "Ada\r\nBcc: evil@example.org"})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_a_template_tag_that_mjml_would_drop_is_an_error(email_templates: Path) -> None:
    (email_templates / "hello.mjml").write_text(
        "<mj-section><mj-column>{% if name %}<mj-text>Hi</mj-text>{% endif %}</mj-column></mj-section>"
    )
    with pytest.raises(emails.EmailTemplateError, match="dropped"):
        emails.email_render(name="hello", context={"name": "Ada"})


def test_the_real_digest_template_compiles_with_all_its_tags() -> None:
    assert "{% for paper in papers %}" in emails.mjml_compile("digest")
