"""`address_check` accepts plain addresses without running `parseaddr`; for any input it must give
the verdict (and the address) the parser-based check gives."""

from __future__ import annotations

import random

import pytest

from digest import emails

PLAIN = "ab9_.-+'=@"
ALPHABET = PLAIN + '@ <>,;:"()[]\\\r\n\t\x00é'


def _verdict(check: object, address: str) -> str | None:
    try:
        return check(address)  # type: ignore[operator]
    except emails.HeaderInjection:
        return None


@pytest.mark.parametrize("seed", range(20))
def test_fast_and_parsed_checks_agree(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        chars = rng.choice([PLAIN, ALPHABET])  # half of them mostly plain, to reach the fast path
        address = "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        assert _verdict(emails.address_check, address) == _verdict(emails._address_parse_check, address), (
            address
        )


@pytest.mark.parametrize(
    "address",
    ["reader@example.org", "a.b+tag@sub.example.org", "o'neil@example.org", "x@y", "a.@b", "a@.b", "a..b@c"],
)
def test_plain_addresses_are_accepted_as_they_are(address: str) -> None:
    assert emails.address_check(address) == emails._address_parse_check(address) == address
