"""The JSON body of an order callback: `{"id", "type", "created_at", "data": <payment as the API shows it>}`.

Built once, when the notification is created, and stored as bytes: every retry sends (and signs) exactly the
same bytes. `data` is the payment as it was when the relay ran, so a receiver always sees a consistent
payment; the event `type` says what happened. It carries what the checkout sent (`metadata`, which order systems
key on, `description`, the URLs, the customer), with the customer's e-mail address masked: the body is stored,
listed to admins and sent to another system, and the order system has the address already.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from application.email_masking import mask_email
from application.views import PaymentView, RefundView, RiskView


def rfc3339(moment: datetime) -> str:
    """UTC with `Z`, as the API writes timestamps (a naive time from the store is UTC already)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def _or_none(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


def refund_data(refund: RefundView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "amount": refund.amount,  # integer minor units, like the API: never a float
        "currency": refund.currency,
        "status": refund.status,
        "reason": refund.reason,
        "provider_reference": refund.provider_reference,
        "created_at": rfc3339(refund.created_at),
        "updated_at": rfc3339(refund.updated_at),
    }
    if refund.failure_reason is not None:  # as the API: only when failed
        data["failure_reason"] = refund.failure_reason
    return data


def payment_data(payment: PaymentView) -> dict[str, Any]:
    """GET /api/v1/payments/{id}'s fields, with `failure_reason` always present (null unless failed) and the
    customer's e-mail address masked."""
    return {
        "id": payment.id,
        "order_id": payment.order_id,
        "amount": payment.amount,
        "amount_refunded": payment.amount_refunded,
        "currency": payment.currency,
        "status": payment.status,
        "provider": payment.provider,
        "provider_reference": payment.provider_reference,
        "checkout_url": payment.checkout_url,
        "expires_at": _or_none(payment.expires_at),
        "failure_reason": payment.failure_reason,
        "created_at": rfc3339(payment.created_at),
        "updated_at": rfc3339(payment.updated_at),
        "customer": _customer(payment),
        "description": payment.description,
        "metadata": payment.metadata,
        "return_url": payment.return_url,
        "cancel_url": payment.cancel_url,
        "callback_url": payment.callback_url,
        "capture": payment.capture,
        "amount_capturable": payment.amount_capturable,
        "amount_captured": payment.amount_captured,
        "capture_pending": payment.capture_pending,
        # true on the `payment.succeeded` of a payment the provider took after we cancelled or expired it
        "paid_after_cancel": payment.paid_after_cancel,
        "refunds": [refund_data(r) for r in payment.refunds],
        "risk": None if payment.risk is None else _risk_data(payment.risk),
    }


def _risk_data(risk: RiskView) -> dict[str, Any]:
    return {"decision": risk.decision, "score": risk.score, "reasons": list(risk.reasons)}


def _customer(payment: PaymentView) -> dict[str, str | None] | None:
    if payment.customer_email is None and payment.customer_name is None:
        return None
    email = None if payment.customer_email is None else mask_email(payment.customer_email)
    return {"email": email, "name": payment.customer_name}


def callback_body(notification_id: str, event_type: str, created_at: datetime, payment: PaymentView) -> bytes:
    document = {
        "id": notification_id,
        "type": event_type,
        "created_at": rfc3339(created_at),
        "data": payment_data(payment),
    }
    # compact and UTF-8: the signature covers these exact bytes, so they are stored, not re-serialised
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
