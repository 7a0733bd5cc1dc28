"""The shapes of Flutterwave's webhook bodies (msgspec, Decimal amounts) and the checks every field passes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import msgspec

from application.errors import MalformedWebhook
from domain.shared.errors import DomainError
from domain.shared.money import Currency

PROVIDER = "flutterwave"
S = TypeVar("S", bound=msgspec.Struct)


class Body(msgspec.Struct):
    event: str | None = None  # v3
    type: str | None = None  # v4
    id: str | int | None = None  # v4: "wbk_…"
    data: msgspec.Raw = msgspec.Raw()  # decoded once we know which shape it has


class V3Charge(msgspec.Struct):
    id: int | str
    tx_ref: str
    status: str
    amount: Decimal
    currency: str
    created_at: str | None = None
    processor_response: str | None = None


class V3Refund(msgspec.Struct):
    id: int | str
    status: str
    transaction_id: int | str | None = msgspec.field(default=None, name="TransactionId")


class V4Charge(msgspec.Struct):
    id: str
    reference: str
    status: str
    currency: str | None = None
    created_datetime: str | None = None


def decode_data(envelope: Body, kind: type[S]) -> S:
    if bytes(envelope.data).strip() in (b"", b"null"):
        raise MalformedWebhook(PROVIDER, f"{envelope.event or envelope.type} event without data")
    try:
        return msgspec.json.decode(envelope.data, type=kind)
    except msgspec.MsgspecError as error:
        raise MalformedWebhook(PROVIDER, f"unreadable data: {error}") from None


def numeric(value: int | str, field: str) -> str:
    text = str(value)
    if not text.isascii() or not text.isdigit():  # it goes into a URL path: digits only
        raise MalformedWebhook(PROVIDER, f"{field} must be numeric, got {value!r}")
    return text


def currency_of(code: str) -> Currency:
    try:
        return Currency.of(code)
    except DomainError as error:
        raise MalformedWebhook(PROVIDER, str(error)) from None


def failure(processor_response: str | None) -> str:
    return f"Flutterwave: {processor_response}" if processor_response else "charge failed at Flutterwave"


def timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None  # informative only: an odd timestamp must not cost us the event
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
