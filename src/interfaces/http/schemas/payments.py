"""Payments as the API shows them: after checkout, in full (with refunds), as an order's status, as audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import Struct

from application.views import AuditEntryView, PaymentStatusView, PaymentView, RiskView
from interfaces.http.schemas.common import utc, utc_or_none
from interfaces.http.schemas.refunds import RefundResponse


class CustomerResponse(Struct, kw_only=True, omit_defaults=True):
    """The customer as the checkout named them; the e-mail address in full (this is the caller's own data);
    `ip` and `country` only when the checkout sent them."""

    email: str | None
    name: str | None
    ip: str | None = None
    country: str | None = None


class RiskResponse(Struct, kw_only=True):
    """What the checkout's risk check decided: `allow` or `review` (a blocked checkout creates no payment)."""

    decision: str
    score: int  # 0-100
    reasons: list[str]  # the rules (and the external scorer's reasons) that spoke

    @classmethod
    def from_view(cls, view: RiskView | None) -> RiskResponse | None:
        return None if view is None else cls(decision=view.decision, score=view.score, reasons=list(view.reasons))


class PaymentResponse(Struct, kw_only=True):
    """The checkout's answer: the payment and where to send the customer, with what the checkout sent
    (`customer`, `description`, `metadata` and the URLs; `null` or `{}` when it sent none)."""

    id: str
    order_id: str
    amount: int
    currency: str
    status: str
    provider: str
    provider_reference: str | None
    checkout_url: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    customer: CustomerResponse | None
    description: str | None
    metadata: dict[str, str]
    return_url: str | None
    cancel_url: str | None
    callback_url: str | None
    capture: str  # automatic | manual
    amount_capturable: int  # what a capture may still take: the hold of an authorized payment, else 0
    amount_captured: int | None  # what was taken, once it was (a partial capture takes less than `amount`)
    capture_pending: bool  # a capture was asked of the provider and it has not confirmed yet
    paid_after_cancel: bool  # the provider took the money after the payment was cancelled or expired
    providers_tried: list[str]  # every provider asked for the checkout, in order: more than one after a failover
    risk: RiskResponse | None  # the checkout's risk check; null when none ran

    @classmethod
    def from_view(cls, view: PaymentView) -> PaymentResponse:
        return cls(**_payment_fields(view))


class PaymentDetailResponse(PaymentResponse, kw_only=True, omit_defaults=True):
    """The payment plus its refunds and what the checkout sent; `failure_reason` appears only when it failed."""

    amount_refunded: int
    refunds: list[RefundResponse]
    failure_reason: str | None = None

    @classmethod
    def from_view(cls, view: PaymentView) -> PaymentDetailResponse:
        return cls(
            **_payment_fields(view),
            amount_refunded=view.amount_refunded,
            refunds=[RefundResponse.from_view(r) for r in view.refunds],
            failure_reason=view.failure_reason,
        )


class PaymentStatusResponse(Struct, kw_only=True):
    order_id: str
    payment_id: str
    status: str
    amount: int
    amount_refunded: int
    currency: str
    provider: str
    updated_at: datetime

    @classmethod
    def from_view(cls, view: PaymentStatusView) -> PaymentStatusResponse:
        return cls(
            order_id=view.order_id,
            payment_id=view.payment_id,
            status=view.status,
            amount=view.amount,
            amount_refunded=view.amount_refunded,
            currency=view.currency,
            provider=view.provider,
            updated_at=utc(view.updated_at),
        )


class AuditEntryResponse(Struct, kw_only=True):
    id: str
    at: datetime
    type: str
    from_status: str | None
    to_status: str | None
    source: str
    actor: str | None
    provider_event_id: str | None
    data: dict[str, Any]

    @classmethod
    def from_view(cls, view: AuditEntryView) -> AuditEntryResponse:
        return cls(
            id=view.id,
            at=utc(view.at),
            type=view.type,
            from_status=view.from_status,
            to_status=view.to_status,
            source=view.source,
            actor=view.actor,
            provider_event_id=view.provider_event_id,
            data=view.data,
        )


class AuditTrailResponse(Struct, kw_only=True):
    """Oldest first."""

    data: list[AuditEntryResponse]


def _payment_fields(view: PaymentView) -> dict[str, Any]:
    return {
        "id": view.id,
        "order_id": view.order_id,
        "amount": view.amount,
        "currency": view.currency,
        "status": view.status,
        "provider": view.provider,
        "provider_reference": view.provider_reference,
        "checkout_url": view.checkout_url,
        "expires_at": utc_or_none(view.expires_at),
        "created_at": utc(view.created_at),
        "updated_at": utc(view.updated_at),
        "customer": _customer(view),
        "description": view.description,
        "metadata": view.metadata,
        "return_url": view.return_url,
        "cancel_url": view.cancel_url,
        "callback_url": view.callback_url,
        "capture": view.capture,
        "amount_capturable": view.amount_capturable,
        "amount_captured": view.amount_captured,
        "capture_pending": view.capture_pending,
        "paid_after_cancel": view.paid_after_cancel,
        "providers_tried": list(view.providers_tried),
        "risk": RiskResponse.from_view(view.risk),
    }


def _customer(view: PaymentView) -> CustomerResponse | None:
    if all(v is None for v in (view.customer_email, view.customer_name, view.customer_ip, view.customer_country)):
        return None
    return CustomerResponse(
        email=view.customer_email, name=view.customer_name, ip=view.customer_ip, country=view.customer_country
    )
