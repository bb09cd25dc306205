from __future__ import annotations

import pytest

from subscriptions.validation import InputError, email_normalise


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ada@Example.ORG ", "Ada@example.org"),
        ("first.last+digest@sub.example.co.uk", "first.last+digest@sub.example.co.uk"),
        ("jürgen@müller.de".replace("jürgen", "juergen"), "juergen@xn--mller-kva.de"),
        ("user@bücher.example", "user@xn--bcher-kva.example"),
        ("user@example.xn--p1ai", "user@example.xn--p1ai"),
    ],
)
def test_valid_addresses_are_normalised(typed: str, stored: str) -> None:
    assert email_normalise(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "plainaddress",
        "two@@example.org",
        "a@b@example.org",
        "no-domain@",
        "@no-local.org",
        "dots..inside@example.org",
        ".leading@example.org",
        "spaces in@example.org",
        "victim@example.org\r\nBcc: everyone@example.org",
        "victim@example.org\nSubject: hi",
        "victim@example.org,other@example.org",
        "Victim <victim@example.org>",
        '"quoted"@example.org',
        "jürgen@example.org",  # SMTPUTF8 local parts are refused: rarely deliverable
        "user@localhost",
        "user@-bad-.example.org",
        "user@example.123",
        "user@exa_mple.org",
        "a" * 65 + "@example.org",
        "user@" + "a" * 64 + ".org",
        "user@" + ".".join(["a" * 60] * 5) + ".org",
        "user@exam\u202eple.org",
        "us\u200ber@example.org",
        "user@example.org\x00",
        "x" * 5000,
    ],
)
def test_invalid_addresses_are_refused_with_a_message(typed: str) -> None:
    with pytest.raises(InputError) as error:
        email_normalise(typed)
    assert str(error.value)


def test_the_whole_address_is_capped_at_254_characters() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".org"  # 189 characters
    assert len(f"{local}@{domain}") == 254
    assert email_normalise(f"{local}@{domain}")
    with pytest.raises(InputError):
        email_normalise(f"{local}@e{domain}")
