"""Conversions between our integer minor units and providers' decimal major units ("10.00"), with Decimal.

Never floats: a JSON number such as 10.5 must be parsed with `Decimal` (msgspec/json `parse_float=Decimal`) or
read as a string before it reaches `to_minor`. An amount that is not a whole number of minor units is refused
rather than rounded: a provider telling us about 10.005 USD is not telling us about our payment.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.shared.money import Currency


class AmountNotExact(ValueError):
    pass


def to_major(amount: int, currency: Currency) -> str:
    """`1999, USD` → `"19.99"`; `1999, JPY` → `"1999"`; `1999, KWD` → `"1.999"`."""
    if currency.exponent == 0:
        return str(amount)
    value = Decimal(amount).scaleb(-currency.exponent)
    return f"{value:.{currency.exponent}f}"


def to_minor(value: str | int | Decimal, currency: Currency) -> int:
    """`"19.99", USD` → `1999`; `19, USD` → `1900`; `"19.999", USD` → AmountNotExact."""
    if isinstance(value, bool | float):
        raise AmountNotExact(f"refusing a {type(value).__name__} amount {value!r}: parse it as Decimal")
    try:
        decimal = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise AmountNotExact(f"{value!r} is not a decimal amount") from error
    minor = decimal.scaleb(currency.exponent)
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise AmountNotExact(f"{value} {currency} is not a whole number of minor units")
    return int(minor)
