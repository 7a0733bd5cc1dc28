"""PayPal's JSON shapes, only the fields we read (msgspec ignores the rest, so new fields never break us).

Amounts are decimal strings in major units (`{"currency_code": "USD", "value": "10.00"}`); they are kept as
strings here and converted with `Decimal` in `amounts.py`, never through a float.
References: Orders v2 https://developer.paypal.com/docs/api/orders/v2/, Payments v2
https://developer.paypal.com/docs/api/payments/v2/, webhook events
https://developer.paypal.com/api/rest/webhooks/event-names/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class Money(msgspec.Struct, frozen=True):
    currency_code: str
    value: str


class Link(msgspec.Struct, frozen=True):
    href: str
    rel: str


class StatusDetails(msgspec.Struct, frozen=True):
    reason: str | None = None


def explained(what: str, details: StatusDetails | None) -> str:
    """`"PayPal capture 3C6… declined"` plus PayPal's reason when it gives one."""
    return f"{what}: {details.reason}" if details and details.reason else what


def moment(text: str | None) -> datetime | None:
    """PayPal's times (`"2024-05-01T12:00:00Z"`, RFC 3339) as aware datetimes; None when absent or unreadable."""
    try:
        parsed = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


class RelatedIds(msgspec.Struct, frozen=True):
    order_id: str | None = None
    authorization_id: str | None = None  # a capture of an authorization names it


class SupplementaryData(msgspec.Struct, frozen=True):
    related_ids: RelatedIds | None = None


class Capture(msgspec.Struct, frozen=True):
    id: NonEmpty
    status: str
    amount: Money | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    status_details: StatusDetails | None = None
    supplementary_data: SupplementaryData | None = None


class Refund(msgspec.Struct, frozen=True):
    id: NonEmpty
    status: str
    amount: Money | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    status_details: StatusDetails | None = None
    links: list[Link] = []


class Authorization(msgspec.Struct, frozen=True):
    """A hold on the buyer's funds (an order created with `intent: AUTHORIZE`, then authorized)."""

    id: NonEmpty
    status: str
    amount: Money | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    create_time: str | None = None
    expiration_time: str | None = None
    status_details: StatusDetails | None = None
    supplementary_data: SupplementaryData | None = None


class Payments(msgspec.Struct, frozen=True):
    authorizations: list[Authorization] = []
    captures: list[Capture] = []
    refunds: list[Refund] = []


class PurchaseUnit(msgspec.Struct, frozen=True):
    reference_id: str | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    amount: Money | None = None
    payments: Payments | None = None


class Order(msgspec.Struct, frozen=True):
    id: NonEmpty
    status: str
    intent: str | None = None  # CAPTURE or AUTHORIZE, as we created it
    purchase_units: list[PurchaseUnit] = []
    links: list[Link] = []

    @property
    def unit(self) -> PurchaseUnit:
        """We always create exactly one purchase unit."""
        return self.purchase_units[0] if self.purchase_units else PurchaseUnit()

    @property
    def authorization(self) -> Authorization | None:
        """We authorize an order once: its one authorization, once it has one."""
        payments = self.unit.payments
        return payments.authorizations[0] if payments and payments.authorizations else None

    @property
    def captures(self) -> list[Capture]:
        payments = self.unit.payments
        return payments.captures if payments else []

    @property
    def refunds(self) -> list[Refund]:
        payments = self.unit.payments
        return payments.refunds if payments else []


class DisputedTransaction(msgspec.Struct, frozen=True):
    seller_transaction_id: str | None = None
    # The merchant's ids as the Disputes API names them (`custom`, `invoice_number`); `custom_id` in case a
    # newer version aligns the name with Orders v2 (unconfirmed either way, so both are read).
    custom: str | None = None
    custom_id: str | None = None
    invoice_number: str | None = None


class Dispute(msgspec.Struct, frozen=True):
    dispute_id: str | None = None
    reason: str | None = None
    disputed_transactions: list[DisputedTransaction] = []


class Envelope(msgspec.Struct, frozen=True):
    """A webhook event: `{"id": "WH-…", "event_type": …, "resource_type": …, "resource": {…}, "create_time": …}`."""

    id: NonEmpty
    event_type: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    resource: msgspec.Raw = msgspec.Raw(b"{}")
    resource_type: str | None = None
    create_time: str | None = None


class AccessToken(msgspec.Struct, frozen=True):
    access_token: Annotated[str, msgspec.Meta(min_length=1)]
    expires_in: Annotated[int, msgspec.Meta(gt=0)]


class ErrorDetail(msgspec.Struct, frozen=True):
    issue: str | None = None
    description: str | None = None


class ApiError(msgspec.Struct, frozen=True):
    """REST errors (`name`, `message`, `details`, `debug_id`) and OAuth errors (`error`, `error_description`)."""

    name: str | None = None
    message: str | None = None
    debug_id: str | None = None
    details: list[ErrorDetail] = []
    error: str | None = None
    error_description: str | None = None


class VerificationAnswer(msgspec.Struct, frozen=True):
    verification_status: str
