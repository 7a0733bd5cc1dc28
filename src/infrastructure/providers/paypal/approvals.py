"""What an approved order becomes: captured (intent CAPTURE: the money is taken) or authorized (intent AUTHORIZE:
the funds are held until we capture or void them). Done once per payment, however often the approval reaches us
(a redelivery, the worker's retry of a stored event): the call carries a deterministic `PayPal-Request-Id`, and
an order PayPal completed before that id's memory (6 hours) is read back instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import ProviderUnavailable
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.api import PayPalApi, segment
from infrastructure.providers.paypal.authorizations import authorization_news, authorization_state
from infrastructure.providers.paypal.errors import NAME, PayPalRefused
from infrastructure.providers.paypal.orders import capture_news, capture_state


@dataclass(frozen=True, slots=True)
class _Completion:
    verb: str  # the path's last segment (`/v2/checkout/orders/{id}/<verb>`) and the request id's prefix
    done_before: str  # PayPal's issue for an order that had this done already
    news: Callable[[wire.Order, ProviderEvent], ProviderEvent | None]
    state: Callable[[wire.Order], str]


_CAPTURE = _Completion("capture", "ORDER_ALREADY_CAPTURED", capture_news, capture_state)
_AUTHORIZE = _Completion("authorize", "ORDER_ALREADY_AUTHORIZED", authorization_news, authorization_state)


async def complete_approved(api: PayPalApi, order_id: str, event: ProviderEvent) -> ProviderEvent:
    """The approval `event` (of our payment) as the event to apply: the capture's or the authorization's outcome.
    ProviderUnavailable while PayPal has no final word (PENDING): the stored approval is retried later."""
    step = _AUTHORIZE if event.action is EventAction.PAYMENT_AUTHORIZED else _CAPTURE
    path = f"/v2/checkout/orders/{segment(order_id)}/{step.verb}"
    try:
        order = await api.post(path, wire.Order, request_id=f"{step.verb}-{event.payment_id}")
    except PayPalRefused as refused:
        if refused.issue != step.done_before:  # done before our request id's memory: read what happened
            raise
        order = await api.order(order_id)
    news = step.news(order, event)
    if news is None:  # pending: the idempotent answer may be a stale copy, so read the order itself
        order = await api.order(order_id)
        news = step.news(order, event)
    if news is None:
        raise ProviderUnavailable(NAME, f"no final word on the {step.verb} yet ({step.state(order)})")
    return news
