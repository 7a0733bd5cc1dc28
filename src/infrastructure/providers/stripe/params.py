"""What we send to Stripe: Checkout Session, Refund and capture parameters, built only from what the Payment holds.

Every value derives from the payment or refund, never from the current time, so a retried call sends the same
parameters under the same idempotency key. Stripe compares them: the same key with different parameters is a
400 `idempotency_error` (https://docs.stripe.com/api/idempotent_requests).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from stripe.params import PaymentIntentCaptureParams, RefundCreateParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsPaymentIntentData

from domain.payments.payment import CaptureMode, Payment
from domain.payments.refund import Refund, RefundReason
from domain.shared.money import Money
from infrastructure.providers.stripe.currencies import to_stripe

# Stripe accepts 30 minutes to 24 hours (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at).
# Derived from the payment's creation time, so a retry within the next half hour sends identical parameters; a
# first attempt that never reached Stripe and is retried later than that is refused (400) and fails the payment.
CHECKOUT_LIFETIME = timedelta(hours=1)

# Stripe knows these three; our `other` has no Stripe equivalent, so the reason is left out.
_REASONS: dict[RefundReason, Literal["duplicate", "fraudulent", "requested_by_customer"]] = {
    RefundReason.REQUESTED_BY_CUSTOMER: "requested_by_customer",
    RefundReason.DUPLICATE: "duplicate",
    RefundReason.FRAUDULENT: "fraudulent",
}


def checkout_idempotency_key(payment: Payment) -> str:
    return f"checkout-{payment.id}"


def refund_idempotency_key(refund: Refund) -> str:
    return f"refund-{refund.id}"


def capture_idempotency_key(payment: Payment) -> str:
    """One per capture reservation (`Payment.capture_key`): the same capture asked again gets Stripe's stored
    answer, never a second capture; a capture asked after a refused one (perhaps for another amount) is a request
    of its own, which under the old key Stripe would refuse as an `idempotency_error` or answer with the refusal."""
    return f"capture-{payment.capture_key}"


def void_idempotency_key(payment: Payment) -> str:
    return f"void-{payment.id}"


def expire_idempotency_key(payment: Payment) -> str:
    return f"expire-{payment.id}"


def checkout_params(payment: Payment, public_url: str) -> SessionCreateParams:
    details = payment.details
    # Stripe requires a success_url for hosted Checkout; without the shop's own we send the customer to ours.
    base = public_url.rstrip("/")
    success_url = details.return_url or f"{base}/checkout/{payment.id}/complete"
    cancel_url = details.cancel_url or f"{base}/checkout/{payment.id}/cancelled"
    ours = {"payment_id": payment.id, "order_id": payment.order_id}
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.amount.currency.code.lower(),  # Stripe wants ISO codes in lower case
                    "unit_amount": to_stripe(payment.amount.amount, payment.amount.currency),
                    "product_data": {"name": details.description or f"Order {payment.order_id}"},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        # Both carry our id back on every session event; the PaymentIntent's copy reaches payment_intent.* and
        # charge/refund events, which know nothing of the session.
        "client_reference_id": payment.id,
        "metadata": ours,
        "payment_intent_data": _payment_intent_data(payment, ours),
        "expires_at": int((payment.created_at + CHECKOUT_LIFETIME).timestamp()),
    }
    if details.customer_email:
        params["customer_email"] = details.customer_email
    return params


def _payment_intent_data(payment: Payment, ours: dict[str, str]) -> SessionCreateParamsPaymentIntentData:
    data: SessionCreateParamsPaymentIntentData = {"metadata": ours}
    if payment.capture is CaptureMode.MANUAL:  # the customer authorizes; the funds are held until we capture
        data["capture_method"] = "manual"
    return data


def capture_params(amount: Money) -> PaymentIntentCaptureParams:
    """Less than the authorization is a partial capture: Stripe releases the rest (`final_capture` defaults true)."""
    return {"amount_to_capture": to_stripe(amount.amount, amount.currency)}


def refund_params(payment: Payment, refund: Refund, payment_intent: str) -> RefundCreateParams:
    params: RefundCreateParams = {
        "payment_intent": payment_intent,
        "amount": to_stripe(refund.amount.amount, refund.amount.currency),
        # Our refund id rides along, so a refund.* webhook finds the refund even before we learn Stripe's re_ id.
        "metadata": {"refund_id": refund.id, "payment_id": payment.id},
    }
    reason = _REASONS.get(refund.reason)
    if reason is not None:
        params["reason"] = reason
    return params
