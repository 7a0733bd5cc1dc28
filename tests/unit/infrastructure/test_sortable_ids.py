"""Sortable ids: Crockford base-32 of a UUIDv7, 26 digits, later ids sorting after earlier ones."""

from __future__ import annotations

import random

from infrastructure.ids import _ALPHABET, SortableIdGenerator, _encode


def _digits(value: int) -> str:
    """The definition: 26 base-32 digits, most significant first."""
    out = ""
    for _ in range(26):
        value, digit = divmod(value, 32)
        out = _ALPHABET[digit] + out
    return out


def test_the_encoding_is_26_crockford_digits_of_the_value() -> None:
    rng = random.Random(7)
    values = [0, 1, 31, 32, 2**128 - 1, 2**130 - 1, *(rng.getrandbits(130) for _ in range(5000))]
    assert [_encode(v) for v in values] == [_digits(v) for v in values]


def test_ids_carry_their_prefix_and_sort_in_the_order_they_were_made() -> None:
    ids = SortableIdGenerator()
    made = [ids.new("pay") for _ in range(5000)]  # many within one millisecond: the counter orders them
    assert all(i.startswith("pay_") and len(i) == 30 for i in made)
    assert all(set(i[4:]) <= set(_ALPHABET) for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)
