"""The console writes money per currency and reads amounts as people type them, exactly (never via floats)."""

from __future__ import annotations

import pytest

from interfaces.admin.formatting import AmountNotUnderstood, major_units, money, parse_major_units
from interfaces.admin.masking import MASK, masked_headers
from interfaces.admin.transaction_filters import FilterForm, FilterNotUnderstood


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (9_999, "USD", "USD 99.99"),
        (1_000, "JPY", "JPY 1,000"),
        (123_456_789, "EUR", "EUR 1,234,567.89"),
        (1_250, "KWD", "KWD 1.250"),
        (5, "USD", "USD 0.05"),
        (-2_500, "GBP", "GBP -25.00"),
    ],
)
def test_money_is_shown_with_the_currency_exponent(amount: int, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("25.00", "USD", 2_500),
        ("25", "USD", 2_500),
        ("0.1", "USD", 10),
        ("1,000.50", "EUR", 100_050),
        ("1000", "JPY", 1_000),
        ("1.005", "KWD", 1_005),
        ("0.29", "USD", 29),  # 0.29 * 100 is 28.999… in floating point
    ],
)
def test_amounts_typed_in_major_units_are_converted_exactly(typed: str, currency: str, minor: int) -> None:
    assert parse_major_units(typed, currency) == minor
    assert parse_major_units(major_units(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency"),
    [("10.5", "JPY"), ("1.001", "USD"), ("0", "USD"), ("-5", "USD"), ("abc", "USD"), ("", "USD"), ("NaN", "USD")],
)
def test_amounts_that_are_not_amounts_of_the_currency_are_refused(typed: str, currency: str) -> None:
    with pytest.raises(AmountNotUnderstood):
        parse_major_units(typed, currency)


def test_credentials_and_signatures_in_headers_are_masked() -> None:
    shown = dict(
        masked_headers(
            {"stripe-signature": "t=1,v1=abc", "x-api-key": "k", "content-type": "application/json", "verif-hash": "h"}
        )
    )
    assert shown == {
        "content-type": "application/json",
        "stripe-signature": MASK,
        "verif-hash": MASK,
        "x-api-key": MASK,
    }


def test_the_to_date_includes_its_whole_day_and_bad_filters_are_refused() -> None:
    filters = FilterForm.of({"from": "2026-12-01", "to": "2026-12-01", "currency": "usd"}).to_filter(("simulator",))
    assert filters.currency == "USD"
    assert filters.created_before is not None
    assert filters.created_after is not None
    assert (filters.created_before - filters.created_after).days == 1
    for bad in ({"from": "01/12/2026"}, {"status": "nope"}, {"provider": "nope"}, {"currency": "US"}):
        with pytest.raises(FilterNotUnderstood):
            FilterForm.of(bad).to_filter(("simulator",))
