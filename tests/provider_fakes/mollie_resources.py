"""The fake Mollie's resources: payments and refunds as Mollie's v2 API shows them, and Mollie's checks on the
amounts and fields we send (https://docs.mollie.com/reference/v2/payments-api/create-payment, …/get-payment,
…/refunds-api/create-payment-refund, https://docs.mollie.com/reference/handling-errors).

Written from Mollie's documentation, not from the adapter: nothing here imports the code under test.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

DOCS = "https://docs.mollie.com/reference/handling-errors"
CHECKOUT_LIFETIME = timedelta(minutes=15)
PAYMENT_STATUSES = ("open", "pending", "authorized", "paid", "canceled", "expired", "failed")
REFUND_STATUSES = ("queued", "pending", "processing", "refunded", "failed", "canceled")

# Payment currencies and their decimals, from https://docs.mollie.com/docs/multicurrency.
_TWO_DECIMALS = "AED AUD BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS MXN MYR NOK NZD PHP PLN RON SEK SGD THB TWD USD ZAR"
DECIMALS: dict[str, int] = dict.fromkeys(_TWO_DECIMALS.split(), 2)
DECIMALS |= {"ISK": 0, "JPY": 0}
_ALPHANUMERIC = string.ascii_letters + string.digits
_STAMP = "%Y-%m-%dT%H:%M:%S+00:00"


class Refused(Exception):
    """An error answer in Mollie's shape: `{"status", "title", "detail", "field"?, "_links"}`."""

    TITLES = {400: "Bad Request", 401: "Unauthorized Request", 404: "Not Found", 422: "Unprocessable Entity",
              429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}  # fmt: skip

    def __init__(self, status: int, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field

    def as_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"status": self.status, "title": self.TITLES.get(self.status, "Error")}
        payload["detail"] = self.detail
        if self.field is not None:
            payload["field"] = self.field
        payload["_links"] = {"documentation": {"href": DOCS, "type": "text/html"}}
        return payload


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(10))


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def amount_of(raw: Any, where: str = "amount") -> tuple[str, Decimal]:
    """Mollie's check of an amount object: a known currency, and the value a string with exactly that currency's
    decimals ("10.00" for EUR, "1000" for JPY; never a JSON number), above zero."""
    if not isinstance(raw, dict) or set(raw) != {"currency", "value"}:
        raise Refused(422, "The amount is invalid", where)
    currency, value = raw["currency"], raw["value"]
    if not isinstance(currency, str) or currency not in DECIMALS:
        raise Refused(422, f"The currency {currency!r} is not supported", f"{where}.currency")
    decimals = DECIMALS[currency]
    pattern = r"[0-9]+" if decimals == 0 else rf"[0-9]+\.[0-9]{{{decimals}}}"
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise Refused(422, f"The amount contains an invalid value for {currency}", f"{where}.value")
    if Decimal(value) <= 0:
        raise Refused(422, "The amount is lower than the minimum", f"{where}.value")
    return currency, Decimal(value)


def money(currency: str, value: Decimal) -> dict[str, str]:
    return {"currency": currency, "value": f"{value:.{DECIMALS[currency]}f}"}


def checked_metadata(raw: Any) -> Any:
    if raw is not None and len(json.dumps(raw)) > 1024:  # "up to approximately 1kB of JSON"
        raise Refused(422, "The metadata is too large", "metadata")
    return raw


def required_text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(422, f"The {name} is invalid", name)
    return value


@dataclass
class FakeRefund:
    id: str
    payment_id: str
    mode: str
    currency: str
    value: Decimal
    description: str | None
    metadata: Any
    status: str = "pending"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def holds_money(self) -> bool:
        return self.status not in ("failed", "canceled")

    def as_json(self, base: str) -> dict[str, Any]:
        self_href = f"{base}/v2/payments/{self.payment_id}/refunds/{self.id}"
        return {
            "resource": "refund",
            "id": self.id,
            "mode": self.mode,
            "amount": money(self.currency, self.value),
            "status": self.status,
            "createdAt": stamp(self.created_at),
            "description": self.description,
            "metadata": self.metadata,
            "paymentId": self.payment_id,
            "settlementAmount": money(self.currency, -self.value),
            "_links": {
                "self": {"href": self_href, "type": "application/hal+json"},
                "payment": {"href": f"{base}/v2/payments/{self.payment_id}", "type": "application/hal+json"},
                "documentation": {"href": "https://docs.mollie.com/reference/get-refund", "type": "text/html"},
            },
        }


@dataclass
class FakePayment:
    id: str
    mode: str
    currency: str
    value: Decimal
    description: str
    redirect_url: str
    webhook_url: str | None
    cancel_url: str | None
    metadata: Any
    status: str = "open"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    changed_at: dict[str, datetime] = field(default_factory=dict)  # "paid" → when it became paid, …
    refunds: list[FakeRefund] = field(default_factory=list)

    @property
    def expires_at(self) -> datetime:
        return self.created_at + CHECKOUT_LIFETIME

    @property
    def remaining(self) -> Decimal:
        return self.value - sum((r.value for r in self.refunds if r.holds_money), Decimal(0))

    def as_json(self, base: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "resource": "payment",
            "id": self.id,
            "mode": self.mode,
            "createdAt": stamp(self.created_at),
            "amount": money(self.currency, self.value),
            "description": self.description,
            "method": None,
            "metadata": self.metadata,
            "status": self.status,
            "isCancelable": self.status == "open",
            "profileId": "pfl_QkEhN94Ba",
            "sequenceType": "oneoff",
            "redirectUrl": self.redirect_url,
            "webhookUrl": self.webhook_url,
        }
        if self.cancel_url is not None:
            payload["cancelUrl"] = self.cancel_url
        if self.status in ("open", "pending", "authorized"):
            payload["expiresAt"] = stamp(self.expires_at)
        for status, moment in self.changed_at.items():
            payload[f"{status}At"] = stamp(moment)
        if self.status == "paid":
            payload["amountRefunded"] = money(self.currency, self.value - self.remaining)
            payload["amountRemaining"] = money(self.currency, self.remaining)
        payload["_links"] = self._links(base)
        return payload

    def _links(self, base: str) -> dict[str, Any]:
        links: dict[str, Any] = {"self": {"href": f"{base}/v2/payments/{self.id}", "type": "application/hal+json"}}
        if self.status == "open":
            checkout = f"https://www.mollie.com/checkout/select-method/{self.id.removeprefix('tr_')}"
            links["checkout"] = {"href": checkout, "type": "text/html"}
        if self.refunds:
            links["refunds"] = {"href": f"{base}/v2/payments/{self.id}/refunds", "type": "application/hal+json"}
        links["dashboard"] = {"href": f"https://www.mollie.com/dashboard/payments/{self.id}", "type": "text/html"}
        links["documentation"] = {"href": "https://docs.mollie.com/reference/get-payment", "type": "text/html"}
        return links


def refund_list(payment: FakePayment, query: dict[str, str], base: str) -> dict[str, Any]:
    limit = int(query.get("limit", "50")) if query.get("limit", "50").isdigit() else 50
    if not 1 <= limit <= 250:
        raise Refused(400, "The limit must be between 1 and 250", "limit")
    ids = [refund.id for refund in payment.refunds]
    start = ids.index(query["from"]) if query.get("from") in ids else 0
    page = payment.refunds[start : start + limit]
    rest = payment.refunds[start + limit :]
    href = f"{base}/v2/payments/{payment.id}/refunds"
    return {
        "count": len(page),
        "_embedded": {"refunds": [refund.as_json(base) for refund in page]},
        "_links": {
            "self": {"href": f"{href}?limit={limit}", "type": "application/hal+json"},
            "previous": None,
            "next": {"href": f"{href}?from={rest[0].id}&limit={limit}", "type": "application/hal+json"}
            if rest
            else None,
            "documentation": {"href": "https://docs.mollie.com/reference/list-refunds", "type": "text/html"},
        },
    }


def payment_list(payments: list[FakePayment], query: dict[str, str], base: str) -> dict[str, Any]:
    """GET /v2/payments: newest first, `from` (a payment id, included) and `limit` (1 to 250), HAL links."""
    limit = int(query.get("limit", "50")) if query.get("limit", "50").isdigit() else 50
    if not 1 <= limit <= 250:
        raise Refused(400, "The limit must be between 1 and 250", "limit")
    newest_first = list(reversed(payments))
    ids = [payment.id for payment in newest_first]
    start = ids.index(query["from"]) if query.get("from") in ids else 0
    page, rest = newest_first[start : start + limit], newest_first[start + limit :]
    href = f"{base}/v2/payments"
    return {
        "count": len(page),
        "_embedded": {"payments": [payment.as_json(base) for payment in page]},
        "_links": {
            "self": {"href": f"{href}?limit={limit}", "type": "application/hal+json"},
            "previous": None,
            "next": {"href": f"{href}?from={rest[0].id}&limit={limit}", "type": "application/hal+json"}
            if rest
            else None,
            "documentation": {"href": "https://docs.mollie.com/reference/list-payments", "type": "text/html"},
        },
    }


def with_float_amounts(payload: Any) -> Any:
    """Every amount value as a JSON number: what a careless API would send (and Mollie never does)."""
    if isinstance(payload, dict):
        if set(payload) == {"currency", "value"}:
            return {"currency": payload["currency"], "value": float(payload["value"])}
        return {key: with_float_amounts(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [with_float_amounts(item) for item in payload]
    return payload
