from decimal import Decimal

import pytest

from domain.shared.money import Currency
from infrastructure.providers.decimal_amounts import AmountNotExact, to_major, to_minor


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [(1999, "USD", "19.99"), (5, "USD", "0.05"), (0, "EUR", "0.00"), (1999, "JPY", "1999"), (1999, "KWD", "1.999"),
     (100_000_000_001, "NGN", "1000000000.01")],
)  # fmt: skip
def test_round_trip(minor: int, currency: str, major: str) -> None:
    assert to_major(minor, Currency(currency)) == major
    assert to_minor(major, Currency(currency)) == minor


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [(19, "USD", 1900), ("19.9", "USD", 1990), (Decimal("0.10"), "USD", 10), ("1000", "JPY", 1000), (" 2.5 ", "GBP", 250)],
)  # fmt: skip
def test_accepted_readings(value: str | int | Decimal, currency: str, minor: int) -> None:
    assert to_minor(value, Currency(currency)) == minor


@pytest.mark.parametrize("value", ["19.999", "1.5", "abc", "NaN", "Infinity", 19.99, True])
def test_inexact_or_unsafe_amounts_are_refused(value: object) -> None:
    currency = Currency("JPY") if value == "1.5" else Currency("USD")
    with pytest.raises(AmountNotExact):
        to_minor(value, currency)  # type: ignore[arg-type]
