"""How the console writes money, times and statuses, and reads amounts people type (`25.00` → 2500 cents).

Money is converted exactly with the currency's ISO 4217 exponent (`domain.shared.money.Currency`): never through
a float, and an amount with more decimals than the currency has is refused rather than rounded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from domain.shared.money import Currency, UnknownCurrency
from interfaces.admin.form_errors import FormNotUnderstood

# status → badge colour class; every status not listed is neutral
_BADGES = {
    "succeeded": "ok",
    "delivered": "ok",
    "processed": "ok",
    "refunded": "info",
    "partially_refunded": "info",
    "authorized": "info",
    "processing": "wait",
    "pending": "wait",
    "received": "wait",
    "failed": "bad",
    "dead": "bad",
    "disputed": "bad",
    "expired": "muted",
    "cancelled": "muted",
    "ignored": "muted",
}


class AmountNotUnderstood(FormNotUnderstood):
    """What someone typed as an amount is not one (for this currency)."""


def exponent(currency: str) -> int:
    try:
        return Currency.of(currency).exponent
    except UnknownCurrency:
        return 2


def money(amount: int | None, currency: str) -> str:
    """`USD 99.99`, `JPY 1,000`, `KWD 1.250`: the code, then the amount with thousands separators."""
    if amount is None:
        return "—"
    digits = exponent(currency)
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    units, minor = divmod(whole, 10**digits) if digits else (whole, 0)
    text = f"{units:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{currency} {sign}{text}"


def major_units(amount: int, currency: str) -> str:
    """The amount as people type it (`25.00`), for a form's default value."""
    digits = exponent(currency)
    return str(Decimal(amount).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))) if digits else str(amount)


def parse_major_units(text: str, currency: str) -> int:
    """`25`, `25.5`, `25.00`, `1,000.00` → minor units; refuses negatives, zero and too many decimals."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountNotUnderstood(f"{text.strip() or 'an empty amount'!r} is not an amount") from None
    if not value.is_finite() or value <= 0:
        raise AmountNotUnderstood("the amount must be more than zero")
    digits = exponent(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        places = f"{digits} decimal places" if digits else "no decimal places"
        raise AmountNotUnderstood(f"{currency} amounts have {places}")
    return int(minor)


def when(moment: datetime | None) -> str:
    """`2026-12-07 14:03:09 UTC`: always UTC, to the second."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def badge(status: str | None) -> str:
    return _BADGES.get(status or "", "neutral")


def label(value: str | None) -> str:
    """`partially_refunded` → `partially refunded`, `payment.succeeded` stays as is."""
    return (value or "").replace("_", " ")
