"""The fast fill must produce exactly what the Django engine produces, for every email template."""

from __future__ import annotations

import re

import pytest
from django.template import Context

from digest import emails

NAMES = sorted(
    {
        p.name.removesuffix(".txt")
        for p in emails.TEMPLATE_DIR.glob("*.txt")
        if not p.name.endswith("-subject.txt")
    }
)
HOSTILE = "<b>x</b> & 'q' \"dq\" {{ not_a_tag }} é"


def _context(sources: list[str], *, empty: bool) -> dict[str, object]:
    names = set()
    for source in sources:
        names |= set(re.findall(r"{{\s*([A-Za-z_]\w*)", source))
        names |= set(re.findall(r"{%\s*if\s+(?:not\s+)?([A-Za-z_]\w*)", source))
    names -= {"paper", "forloop"}
    value = "" if empty else HOSTILE
    context: dict[str, object] = dict.fromkeys(names, value)
    paper_keys = set()
    for source in sources:
        paper_keys |= set(re.findall(r"paper\.(\w+)", source))
    papers = [{key: (value if (i + len(key)) % 3 else None) for key in paper_keys} for i in range(3)]
    context["papers"] = [] if empty else papers
    context["count"] = 0 if empty else 3
    return context


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("empty", [False, True])
def test_fast_and_django_fills_are_identical(name: str, empty: bool) -> None:
    sources = {
        "text": ((emails.TEMPLATE_DIR / f"{name}.txt").read_text(), False),
        "subject": ((emails.TEMPLATE_DIR / f"{name}-subject.txt").read_text(), False),
    }
    if (emails.TEMPLATE_DIR / f"{name}.mjml").exists():
        sources["html"] = (emails.mjml_compile(name), True)
    context = _context([source for source, _ in sources.values()], empty=empty)
    for part, (source, autoescape) in sources.items():
        filler = emails.Filler(source, autoescape=autoescape)
        assert filler.fast is not None, f"{name} {part} is outside the fast subset"
        django_output = filler.template.render(Context(context, autoescape=autoescape))
        assert filler.fast(context) == django_output, f"{name} {part}"


def test_templates_outside_the_subset_still_render_through_django() -> None:
    filler = emails.Filler(
        "{{ name|upper }}{% for x in xs %}{{ forloop.revcounter }}{% endfor %}", autoescape=True
    )
    assert filler.fast is None
    assert filler.render({"name": "<a>", "xs": [1, 2]}) == "&lt;A&gt;21"


def test_loop_variables_and_else_branches() -> None:
    source = "{% for p in ps %}{{ forloop.counter }}:{% if p.ok %}{{ p.v }}{% else %}-{% endif %}{% if not forloop.last %},{% endif %}{% endfor %}"
    filler = emails.Filler(source, autoescape=True)
    assert filler.fast is not None
    context = {"ps": [{"ok": True, "v": "<"}, {"ok": False}, {"ok": 1, "v": None}]}
    assert filler.fast(context) == filler.template.render(Context(context)) == "1:&lt;,2:-,3:None"


@pytest.mark.parametrize("name", ["digest"])
def test_shared_text_is_escaped_in_html_and_plain_in_text(name: str) -> None:
    sources = [(emails.mjml_compile(name), True), ((emails.TEMPLATE_DIR / f"{name}.txt").read_text(), False)]
    context = _context([source for source, _ in sources], empty=False)
    for paper in context["papers"]:  # type: ignore[attr-defined]
        for key, value in paper.items():
            paper[key] = emails.SharedText(value) if isinstance(value, str) else value
    for source, autoescape in sources:
        filler = emails.Filler(source, autoescape=autoescape)
        output = filler.fast(context)  # type: ignore[misc]
        assert output == filler.template.render(Context(context, autoescape=autoescape))
        assert ("&lt;b&gt;x&lt;/b&gt; &amp; &#x27;q&#x27;" in output) is autoescape
        assert ("<b>x</b> & 'q'" in output) is not autoescape


def test_numbers_are_localised_like_django_with_and_without_grouping(settings: object) -> None:
    source = "{{ n }}|{% for x in xs %}{{ forloop.counter }}{% endfor %}"
    context = {"n": 1234567, "xs": range(3)}
    for grouping in (False, True):
        settings.USE_THOUSAND_SEPARATOR = grouping  # type: ignore[attr-defined]
        for autoescape in (False, True):
            filler = emails.Filler(source, autoescape=autoescape)
            assert filler.fast(context) == filler.template.render(Context(context, autoescape=autoescape))  # type: ignore[misc]
        assert ("1,234,567" in emails.Filler(source, autoescape=False).render(context)) is grouping
