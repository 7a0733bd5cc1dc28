"""Paystack's JSON, as typed structs decoded with msgspec: a JSON float never becomes money, and unknown fields
(Paystack adds them freely) are ignored. Every answer comes in one envelope:
`{"status": true, "message": "...", "data": {...}}` (https://paystack.com/docs/api/#response).
"""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

# Paystack echoes metadata as an object, as a JSON string, or as "" when none was sent.
Metadata = dict[str, Any] | str | None

_DIGITS = re.compile(r"[0-9]{1,18}")


def minor_units(value: int | str | None, what: str = "amount") -> int:
    """Paystack amounts are integers in the currency's subunit (kobo, pesewas, cents). Refund webhooks send the
    amount as an integer in some events and as a string of digits in others
    (https://paystack.com/docs/payments/refunds/#listen-for-refund-events): both are accepted, nothing else."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    raise ValueError(f"{what} must be a whole number of minor units, got {value!r}")


class Envelope(msgspec.Struct, Generic[T]):
    status: bool
    message: str = ""
    data: T | None = None


class Failure(msgspec.Struct):
    """An error answer: `{"status": false, "message": "Duplicate Transaction Reference"}`."""

    message: str = ""


class Initialized(msgspec.Struct):
    """POST /transaction/initialize."""

    authorization_url: str
    access_code: str
    reference: str


class Transaction(msgspec.Struct):
    """GET /transaction/verify/:reference."""

    id: int
    status: str
    reference: str
    amount: int
    currency: str
    metadata: Metadata = None
    gateway_response: str | None = None


class RefundTransaction(msgspec.Struct):
    reference: str | None = None


class RefundRecord(msgspec.Struct):
    """POST /refund, GET /refund/:id and GET /refund. `transaction` is an id or the expanded transaction."""

    id: int | str
    status: str
    amount: int | str
    currency: str
    transaction: RefundTransaction | int | str | None = None
    merchant_note: str | None = None


class HookTransaction(msgspec.Struct):
    """The transaction nested in dispute (and some refund) events."""

    reference: str | None = None
    metadata: Metadata = None


class HookData(msgspec.Struct):
    """`data` of any webhook: a transaction, refund or dispute, depending on the event."""

    id: int | str | None = None
    status: str | None = None
    reference: str | None = None
    amount: int | str | None = None
    currency: str | None = None
    metadata: Metadata = None
    transaction_reference: str | None = None
    refund_reference: str | None = None
    transaction: HookTransaction | int | str | None = None
    gateway_response: str | None = None
    paid_at: str | None = None


class Hook(msgspec.Struct):
    event: str
    data: HookData
