"""The bodies of the two POSTs we send Mollie (https://docs.mollie.com/reference/v2/payments-api/create-payment,
https://docs.mollie.com/reference/v2/refunds-api/create-payment-refund).

Both carry our ids in `metadata`, so whatever Mollie says later about the payment or a refund names them: the
payment's `metadata.payment_id` proves a fetched `tr_…` is ours, a refund's `metadata.refund_id` names our refund
even when the answer to the refund call was lost.
"""

from __future__ import annotations

from typing import Any

from domain.payments.payment import Payment
from domain.payments.refund import Refund
from infrastructure.providers.mollie.amounts import to_mollie

WEBHOOK_PATH = "/api/v1/webhooks/mollie"


def payment_body(payment: Payment, public_url: str) -> dict[str, Any]:
    details, base = payment.details, public_url.rstrip("/")
    body: dict[str, Any] = {
        "amount": to_mollie(payment.amount),
        "description": details.description or f"Order {payment.order_id}",
        # Mollie requires a redirectUrl; without the shop's own the customer comes back to us (as with Stripe).
        "redirectUrl": details.return_url or f"{base}/checkout/{payment.id}/complete",
        "webhookUrl": base + WEBHOOK_PATH,
        "metadata": {"payment_id": payment.id, "order_id": payment.order_id},
    }
    if details.cancel_url:
        body["cancelUrl"] = details.cancel_url
    return body


def refund_body(payment: Payment, refund: Refund) -> dict[str, Any]:
    return {
        "amount": to_mollie(refund.amount),
        "description": f"Refund {refund.id} of order {payment.order_id}",
        "metadata": {"refund_id": refund.id, "payment_id": payment.id},
    }
