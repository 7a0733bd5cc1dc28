"""Mollie's v2 JSON, only the fields we read (msgspec ignores the rest, so new fields never break us).

Amounts are `{"currency": "EUR", "value": "10.00"}` with the value a string of exactly the currency's decimals
(https://docs.mollie.com/reference/v2/payments-api/create-payment). `value` is typed `str`, so an answer with a
JSON number there is refused as unreadable instead of passing through a float; `amounts.py` converts it with
Decimal. References: the payment object (get payment), the refund object and the refund list (list payment
refunds: HAL, `_embedded.refunds`, `count`, `_links.next`), and error answers (handling errors).
"""

from __future__ import annotations

from typing import Any

import msgspec

PROVIDER = "mollie"


class Amount(msgspec.Struct, frozen=True):
    currency: str
    value: str


class Link(msgspec.Struct, frozen=True):
    href: str
    type: str | None = None


class PaymentLinks(msgspec.Struct, frozen=True):
    checkout: Link | None = None  # only while the payment is `open`


class Payment(msgspec.Struct, frozen=True, rename="camel"):
    """GET /v2/payments/{id} and the 201 of POST /v2/payments."""

    id: str
    status: str  # open | pending | authorized | paid | canceled | expired | failed
    amount: Amount
    mode: str | None = None
    metadata: Any = None  # echoed as we sent it: an object, a string, or null
    created_at: str | None = None
    expires_at: str | None = None
    paid_at: str | None = None
    failed_at: str | None = None
    canceled_at: str | None = None
    expired_at: str | None = None
    links: PaymentLinks = msgspec.field(default_factory=PaymentLinks, name="_links")


class Refund(msgspec.Struct, frozen=True, rename="camel"):
    """One refund: the 201 of POST /v2/payments/{id}/refunds and each entry of the refund list."""

    id: str
    status: str  # queued | pending | processing | refunded | failed | canceled
    amount: Amount
    payment_id: str | None = None
    metadata: Any = None
    created_at: str | None = None


class EmbeddedRefunds(msgspec.Struct, frozen=True):
    refunds: list[Refund] = msgspec.field(default_factory=list)


class ListLinks(msgspec.Struct, frozen=True):
    next: Link | None = None


class RefundList(msgspec.Struct, frozen=True):
    """GET /v2/payments/{id}/refunds: a page of at most `limit` refunds, `_links.next` when there are more."""

    count: int
    embedded: EmbeddedRefunds = msgspec.field(default_factory=EmbeddedRefunds, name="_embedded")
    links: ListLinks = msgspec.field(default_factory=ListLinks, name="_links")


class EmbeddedPayments(msgspec.Struct, frozen=True):
    payments: list[msgspec.Raw] = msgspec.field(default_factory=list)  # each kept as Mollie sent it


class PaymentList(msgspec.Struct, frozen=True):
    """GET /v2/payments: a page of at most `limit` payments, newest first, `_links.next` when there are more."""

    count: int
    embedded: EmbeddedPayments = msgspec.field(default_factory=EmbeddedPayments, name="_embedded")
    links: ListLinks = msgspec.field(default_factory=ListLinks, name="_links")


class Error(msgspec.Struct, frozen=True):
    """An error answer: `{"status": 422, "title": "Unprocessable Entity", "detail": "…", "field": "amount"}`."""

    status: int | None = None
    title: str = ""
    detail: str = ""
    field: str | None = None


def ours(metadata: Any, key: str) -> str | None:
    """`metadata[key]` when it is a non-empty string: what we put there at creation (payment id, refund id)."""
    if isinstance(metadata, dict):
        value = metadata.get(key)
        return value if isinstance(value, str) and value else None
    return None
