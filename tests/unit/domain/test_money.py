"""Money is an integer count of a currency's minor units; currencies are ISO 4217 codes."""

from __future__ import annotations

import pytest

from domain.shared.errors import DomainError
from domain.shared.money import Currency, CurrencyMismatch, Money, UnknownCurrency

USD, EUR, JPY, KWD = Currency("USD"), Currency("EUR"), Currency("JPY"), Currency("KWD")


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("NGN", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_the_currency_exponent_decides_the_minor_units(code: str, exponent: int) -> None:
    assert Currency(code).exponent == exponent


@pytest.mark.parametrize("code", ["XYZ", "US", "USDD", "", "usd", "Usd", " USD", "\uff35\uff33\uff24"])
def test_a_currency_is_an_upper_case_iso_4217_code(code: str) -> None:
    with pytest.raises(UnknownCurrency) as refused:
        Currency(code)
    assert refused.value.code == code
    assert isinstance(refused.value, DomainError)


def test_currency_of_accepts_lower_case_and_normalises_it() -> None:
    assert Currency.of("usd") == USD
    assert Currency.of("Jpy") == JPY
    assert str(Currency.of("kwd")) == "KWD"


@pytest.mark.parametrize("code", ["xyz", "eu", "\uff55\uff53\uff44"])
def test_currency_of_still_refuses_what_is_not_a_currency(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        Currency.of(code)


def test_money_of_reads_the_currency_code() -> None:
    assert Money.of(9_999, "usd") == Money(9_999, USD)
    assert str(Money.of(500, "JPY")) == "500 JPY"


def test_money_adds_and_subtracts_in_one_currency() -> None:
    assert Money(1_000, USD) + Money(250, USD) == Money(1_250, USD)
    assert Money(1_000, USD) - Money(250, USD) == Money(750, USD)
    assert Money(250, USD) - Money(1_000, USD) == Money(-750, USD)
    assert Money.zero(KWD) + Money(1, KWD) == Money(1, KWD)


def test_money_compares_in_one_currency() -> None:
    assert Money(1, EUR) < Money(2, EUR)
    assert not Money(2, EUR) < Money(2, EUR)
    assert Money(2, EUR) <= Money(2, EUR)
    assert Money(3, EUR) > Money(2, EUR)
    assert Money(2, EUR) >= Money(2, EUR)


def test_the_same_amount_in_another_currency_is_other_money() -> None:
    assert Money(100, USD) != Money(100, EUR)
    assert Money(100, USD) == Money(100, Currency("USD"))


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_money_of_two_currencies_does_not_mix(combine) -> None:
    with pytest.raises(CurrencyMismatch, match=r"cannot combine (USD with EUR|EUR with USD)"):
        combine(Money(100, USD), Money(100, EUR))


@pytest.mark.parametrize("amount", [10.0, 9.99, 1.5, True, False, "100", None])
def test_money_amounts_are_ints_only(amount: object) -> None:
    with pytest.raises(TypeError, match="int of minor units"):
        Money(amount, USD)  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "positive"), [(1, True), (0, False), (-1, False)])
def test_positive_money(amount: int, positive: bool) -> None:
    assert Money(amount, JPY).is_positive is positive


def test_money_is_immutable() -> None:
    money = Money(100, USD)
    with pytest.raises(AttributeError):
        money.amount = 200  # type: ignore[misc]
