"""The body of POST /v3/payments (Flutterwave Standard: a hosted payment page).

https://developer.flutterwave.com/docs/collecting-payments/standard: `tx_ref` (ours: the payment id), `amount`
in major units, `currency`, `redirect_url`, `customer.email` (required), `meta`, `customizations`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from domain.payments.payment import Payment
from infrastructure.providers.decimal_amounts import to_major


def checkout_body(payment: Payment, fallback_redirect_url: str) -> dict[str, Any]:
    details = payment.details
    customer = {"email": details.customer_email or _placeholder_email(payment.order_id)}
    if details.customer_name:
        customer["name"] = details.customer_name
    return {
        "tx_ref": payment.id,
        "amount": Decimal(to_major(payment.amount.amount, payment.amount.currency)),
        "currency": payment.amount.currency.code,
        # Flutterwave Standard requires a redirect; without the order's return_url, our own public URL.
        "redirect_url": details.return_url or fallback_redirect_url,
        "customer": customer,
        "meta": {"payment_id": payment.id, "order_id": payment.order_id},
        "customizations": {"title": details.description or f"Order {payment.order_id}"},
    }


def _placeholder_email(order_id: str) -> str:
    # Flutterwave requires customer.email. `.invalid` is reserved (RFC 2606): it can never reach anyone.
    local = re.sub(r"[^A-Za-z0-9._-]", "-", order_id)[:48].strip(".-") or "order"
    return f"order-{local}@customers.invalid"
