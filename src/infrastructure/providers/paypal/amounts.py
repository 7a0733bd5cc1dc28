"""Our integer minor units ↔ PayPal's decimal strings in major units, through `decimal_amounts` (never floats).

PayPal takes no decimals for HUF, JPY and TWD (https://developer.paypal.com/reference/currency-codes/). JPY's
ISO 4217 exponent is 0 already. HUF and TWD have ISO exponent 2, so our amounts count fillér and cents: we send
whole units ("1500") and refuse, before any call, an amount with a non-zero fractional part (ProviderError, as
PayPal itself would refuse it) instead of rounding someone's money.
"""

from __future__ import annotations

from application.errors import ProviderError
from domain.shared.errors import DomainError
from domain.shared.money import Currency, Money
from infrastructure.providers.decimal_amounts import to_major, to_minor
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.errors import NAME

PAYPAL_CURRENCIES = frozenset(
    "AUD BRL CAD CNY CZK DKK EUR HKD HUF ILS JPY MYR MXN TWD NZD NOK PHP PLN GBP SGD SEK CHF THB USD".split()  # noqa: SIM905
)
_WHOLE_UNITS_ONLY = frozenset({"HUF", "TWD"})


class UnreadableAmount(ValueError):
    pass


def to_paypal(money: Money) -> dict[str, str]:
    code = money.currency.code
    if code not in _WHOLE_UNITS_ONLY:
        return {"currency_code": code, "value": to_major(money.amount, money.currency)}
    units, fraction = divmod(money.amount, 10**money.currency.exponent)
    if fraction:
        shown = to_major(money.amount, money.currency)
        raise ProviderError(NAME, f"PayPal takes {code} in whole units only, not {shown} {code}")
    return {"currency_code": code, "value": str(units)}


def from_paypal(money: wire.Money) -> tuple[int, str]:
    """`{"currency_code": "USD", "value": "10.00"}` → `(1000, "USD")`; UnreadableAmount if inexact or unknown."""
    try:
        currency = Currency.of(money.currency_code)
        return to_minor(money.value, currency), currency.code
    except (ValueError, DomainError) as error:
        raise UnreadableAmount(f"{money.value!r} {money.currency_code!r}: {error}") from None
