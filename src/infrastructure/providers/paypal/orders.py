"""Orders v2 and Payments v2 in our terms: what we send at checkout and refund, and what PayPal's answers mean.

https://developer.paypal.com/docs/api/orders/v2/#orders_create, #orders_capture, #orders_authorize;
https://developer.paypal.com/docs/api/payments/v2/#captures_refund. A capture that was later refunded (in
part or whole) still succeeded: refunds are tracked on their own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from application.data.provider_news import EventAction, ProviderEvent, ProviderRefund
from application.errors import ProviderError
from domain.payments.payment import CaptureMode, Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.amounts import UnreadableAmount, from_paypal, to_paypal
from infrastructure.providers.paypal.errors import NAME

AUTHORIZE, CAPTURE = "AUTHORIZE", "CAPTURE"  # an order's intent: hold the funds on approval, or take them
SUCCEEDED_CAPTURES = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"})
FAILED_CAPTURES = frozenset({"DECLINED", "FAILED"})
_REFUND_STATUSES = {
    "COMPLETED": RefundStatus.SUCCEEDED,
    "FAILED": RefundStatus.FAILED,
    "CANCELLED": RefundStatus.FAILED,
}


def order_request(payment: Payment) -> dict[str, Any]:
    """One purchase unit whose custom_id and invoice_id are our payment id: every authorization, capture, refund
    and dispute about it carries our id back. PayPal wants invoice_id unique per merchant, which a payment id is.
    A manual-capture payment's order is created to be authorized on approval (its funds held), not captured."""
    unit: dict[str, Any] = {
        "reference_id": payment.order_id[:256],
        "custom_id": payment.id,
        "invoice_id": payment.id,
        "amount": to_paypal(payment.amount),
    }
    if payment.details.description:
        unit["description"] = payment.details.description[:127]
    experience: dict[str, str] = {"user_action": "PAY_NOW"}  # the amount is final: "Pay Now", not "Continue"
    if payment.details.return_url:
        experience["return_url"] = payment.details.return_url
    if payment.details.cancel_url:
        experience["cancel_url"] = payment.details.cancel_url
    return {
        "intent": AUTHORIZE if payment.capture is CaptureMode.MANUAL else CAPTURE,
        "purchase_units": [unit],
        "payment_source": {"paypal": {"experience_context": experience}},
    }


def approval_link(order: wire.Order) -> str:
    """`payer-action` with `payment_source` (current API), `approve` with the older `application_context`."""
    for rel in ("payer-action", "approve"):
        for link in order.links:
            if link.rel == rel:
                return link.href
    raise ProviderError(NAME, f"order {order.id} came without an approval link")


def refund_request(payment: Payment, refund: Refund) -> dict[str, Any]:
    """custom_id is our refund id and invoice_id our payment's, so PAYMENT.CAPTURE.REFUNDED finds both."""
    body: dict[str, Any] = {"amount": to_paypal(refund.amount), "custom_id": refund.id, "invoice_id": payment.id}
    if refund.note:
        body["note_to_payer"] = refund.note[:255]
    return body


def refund_answer(answer: wire.Refund) -> ProviderRefund:
    status = _REFUND_STATUSES.get(answer.status, RefundStatus.PENDING)
    reason = wire.explained(f"PayPal refund {answer.id} {answer.status.lower()}", answer.status_details)
    return ProviderRefund(answer.id, status, reason if status is RefundStatus.FAILED else None)


def capture_news(order: wire.Order, base: ProviderEvent) -> ProviderEvent | None:
    """The order's capture as an event built on `base`; None while it has no final word (PENDING, none)."""
    capture = order.captures[0] if order.captures else None
    if capture is None or capture.status not in SUCCEEDED_CAPTURES | FAILED_CAPTURES:
        return None
    failed = capture.status in FAILED_CAPTURES
    amount, currency = money_of(capture.amount)
    why = wire.explained(f"PayPal capture {capture.id} {capture.status.lower()}", capture.status_details)
    return replace(
        base,
        action=EventAction.PAYMENT_FAILED if failed else EventAction.PAYMENT_SUCCEEDED,
        provider_reference=order.id,
        amount=amount,
        currency=currency,
        reason=why if failed else None,
        needs_confirmation=False,
    )


def capture_state(order: wire.Order) -> str:
    if not order.captures:
        return f"order {order.id} is {order.status} without a capture"
    capture = order.captures[0]
    return wire.explained(f"capture {capture.id} is {capture.status}", capture.status_details)


def refund_news(answer: wire.Refund, base: ProviderEvent) -> ProviderEvent | None:
    status = _REFUND_STATUSES.get(answer.status)
    if status is None:
        return None
    amount, currency = money_of(answer.amount)
    succeeded = status is RefundStatus.SUCCEEDED
    why = wire.explained(f"PayPal refund {answer.id} {answer.status.lower()}", answer.status_details)
    return replace(
        base,
        action=EventAction.REFUND_SUCCEEDED if succeeded else EventAction.REFUND_FAILED,
        amount=amount,
        currency=currency,
        reason=None if succeeded else why,
    )


def money_of(money: wire.Money | None) -> tuple[int | None, str | None]:
    """An amount in PayPal's answer as ours; ProviderError when it cannot be read exactly."""
    if money is None:
        return None, None
    try:
        return from_paypal(money)
    except UnreadableAmount as error:
        raise unreadable(error) from None


def unreadable(error: UnreadableAmount) -> ProviderError:
    return ProviderError(NAME, f"unreadable amount in PayPal's answer: {error}")
