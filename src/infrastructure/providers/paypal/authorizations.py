"""Authorizations (Payments v2) in our terms: what a hold's status means, what we send to capture it, and what
PayPal's answer to that capture means.

https://developer.paypal.com/docs/api/orders/v2/#orders_authorize, https://developer.paypal.com/docs/api/payments/v2/
(#authorizations_get, #authorizations_capture, #authorizations_void), and the honor period:
https://developer.paypal.com/docs/checkout/standard/customize/authorization-honor/.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from application.data.provider_news import EventAction, ProviderCapture, ProviderEvent
from application.errors import ProviderError
from domain.shared.money import Money
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.amounts import UnreadableAmount, from_paypal, to_paypal
from infrastructure.providers.paypal.errors import NAME
from infrastructure.providers.paypal.orders import FAILED_CAPTURES, SUCCEEDED_CAPTURES, capture_news, unreadable

# An authorization stays capturable for 29 days, but PayPal honours it (guarantees the funds) only for the 3 days
# after it was made; a capture after that is "best effort" and may be declined because the funds are gone. The
# hold we promise the order system (`hold_until`, the payment's expiry, when the janitor asks about it) is the
# guaranteed one.
HONOR_PERIOD = timedelta(days=3)
_HELD = "CREATED"
_CAPTURED = frozenset({"CAPTURED", "PARTIALLY_CAPTURED"})
_ENDED = {
    "VOIDED": EventAction.PAYMENT_CANCELLED,  # by us, or by the merchant on PayPal's dashboard
    "EXPIRED": EventAction.PAYMENT_EXPIRED,  # PayPal let it lapse (29 days)
    "DENIED": EventAction.PAYMENT_FAILED,
}


def held_news(authorization: wire.Authorization, base: ProviderEvent) -> ProviderEvent:
    """What the authorization's status says, as an event built on `base`: held (with the amount and the end of the
    honor period), voided, expired or denied; NONE while PENDING or once captured (its capture says more).
    UnreadableAmount when its amount is not one we can read exactly."""
    amount, currency = from_paypal(authorization.amount) if authorization.amount else (None, None)
    base = replace(base, amount=amount, currency=currency, needs_confirmation=False)
    if authorization.status == _HELD:
        created = wire.moment(authorization.create_time) or base.occurred_at
        hold_until = created + HONOR_PERIOD if created else None
        return replace(base, action=EventAction.PAYMENT_AUTHORIZED, hold_until=hold_until)
    action = _ENDED.get(authorization.status)
    if action is None:
        return replace(base, action=EventAction.NONE)
    why = f"PayPal authorization {authorization.id} {authorization.status.lower()}"
    return replace(base, action=action, reason=wire.explained(why, authorization.status_details))


def authorization_news(order: wire.Order, base: ProviderEvent) -> ProviderEvent | None:
    """An AUTHORIZE order's word as an event built on `base`: its capture's once it has one (None while that is
    pending), else its authorization's; None while it has no final word (not authorized yet, PENDING)."""
    authorization = order.authorization
    if authorization is None:
        return None
    if order.captures or authorization.status in _CAPTURED:
        return capture_news(order, base)
    try:
        news = held_news(authorization, replace(base, provider_reference=order.id))
    except UnreadableAmount as error:
        raise unreadable(error) from None
    return None if news.action is EventAction.NONE else news


def authorization_state(order: wire.Order) -> str:
    authorization = order.authorization
    if authorization is None:
        return f"order {order.id} is {order.status} without an authorization"
    why = f"authorization {authorization.id} is {authorization.status}"
    return wire.explained(why, authorization.status_details)


def capture_request(amount: Money) -> dict[str, Any]:
    """`final_capture`: this is the only capture, so PayPal releases whatever part of the hold it does not take."""
    return {"amount": to_paypal(amount), "final_capture": True}


def capture_answer(capture: wire.Capture) -> ProviderCapture:
    """COMPLETED: taken. PENDING (e.g. PENDING_REVIEW): PayPal confirms later, by PAYMENT.CAPTURE.COMPLETED or when
    the janitor asks. DECLINED or FAILED: refused; the authorization stands."""
    if capture.status in SUCCEEDED_CAPTURES:
        return ProviderCapture(True, capture.id)
    if capture.status in FAILED_CAPTURES:
        why = f"PayPal capture {capture.id} {capture.status.lower()}"
        raise ProviderError(NAME, wire.explained(why, capture.status_details))
    return ProviderCapture(False, capture.id)
