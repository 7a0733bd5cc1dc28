"""PayPal (Orders v2, captured or authorized by us on approval) behind the PaymentProvider port.

Checkout creates an order whose purchase unit carries our payment id; the buyer approves it on PayPal; the
CHECKOUT.ORDER.APPROVED webhook is stored, then `confirm` captures the order (idempotently, keyed on our
payment id) and the capture's outcome is what gets applied. PAYMENT.CAPTURE.COMPLETED arriving after that is
a no-op for the state machine. A manual-capture payment's order (intent AUTHORIZE) is authorized instead: the
payment becomes `authorized` until `capture` takes (part of) the hold or `cancel` voids it. Every
state-changing call carries a deterministic `PayPal-Request-Id`, so a retry after a timeout can never create a
second order, authorization, capture or refund.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from application.data.provider_news import (
    CheckoutSession,
    EventAction,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderRefund,
)
from application.errors import ProviderError
from application.ports.clock import Clock
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import PaymentStatus
from domain.shared.money import Currency, Money
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.amounts import PAYPAL_CURRENCIES
from infrastructure.providers.paypal.api import PayPalApi, segment
from infrastructure.providers.paypal.approvals import complete_approved
from infrastructure.providers.paypal.authorizations import authorization_news
from infrastructure.providers.paypal.errors import NAME
from infrastructure.providers.paypal.events import ORDER_APPROVED, ours
from infrastructure.providers.paypal.holds import PayPalHolds
from infrastructure.providers.paypal.orders import (
    AUTHORIZE,
    SUCCEEDED_CAPTURES,
    approval_link,
    capture_news,
    order_request,
    refund_answer,
    refund_news,
    refund_request,
)
from infrastructure.providers.paypal.pulled_events import fetched_event, listed_events
from infrastructure.providers.paypal.webhooks import PayPalWebhooks, UnverifiedEvent


class PayPalPaymentProvider:
    name = NAME
    supports_manual_capture = True

    def __init__(self, api: PayPalApi, webhooks: PayPalWebhooks, clock: Clock) -> None:
        self._api, self._webhooks, self._holds, self._clock = api, webhooks, PayPalHolds(api), clock

    def supports(self, currency: Currency) -> bool:
        return currency.code in PAYPAL_CURRENCIES

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        # PayPal keeps order request ids for 6 hours: a checkout retried within them gets the same order.
        order = await self._api.post(
            "/v2/checkout/orders", wire.Order, json=order_request(payment), request_id=f"checkout-{payment.id}"
        )
        return CheckoutSession(order.id, approval_link(order), expires_at=None)  # PayPal states no expiry

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        body = refund_request(payment, refund)  # refuses a fractional HUF/TWD amount before any call
        capture = await self._capture_of(payment)
        answer = await self._api.post(
            f"/v2/payments/captures/{segment(capture.id)}/refund",
            wire.Refund,
            json=body,
            request_id=f"refund-{refund.id}",  # kept 45 days by PayPal: a repeat returns this refund
        )
        return refund_answer(answer)

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        return await self._holds.capture(payment, amount)

    async def cancel(self, payment: Payment) -> None:
        """An authorized payment's hold is voided. An open order (`processing`) has nothing to close: PayPal has no
        call for it and lets an unapproved order lapse; if the buyer still approves it, the success (or hold) that
        follows is the application's paid-after-cancel case."""
        if payment.status is PaymentStatus.AUTHORIZED:
            await self._holds.void(payment)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        return self._webhooks.parse(headers, body, at=at)

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        if isinstance(event, UnverifiedEvent):
            event = await self._webhooks.verified(event)
        if not event.needs_confirmation:
            return event
        if event.event_type == ORDER_APPROVED and event.payment_id and event.provider_reference:
            if may_take_money is not None and not await may_take_money(event.payment_id):
                # PayPal took nothing on approval; we would. The approval lapses at PayPal by itself.
                reason = "approved after the payment was called off: nothing taken"
                return replace(event, action=EventAction.NONE, needs_confirmation=False, reason=reason)
            return await complete_approved(self._api, event.provider_reference, event)
        return await self._payment_of_capture(event)

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        if payment.provider_reference is None:
            return None
        order = await self._api.order(payment.provider_reference)
        base = ProviderEvent(NAME, f"lookup:{order.id}:{_state(order)}", "order.lookup", EventAction.NONE, payment.id)
        if order.status == "VOIDED":
            return replace(base, action=EventAction.PAYMENT_FAILED, reason=f"PayPal voided order {order.id}")
        # CREATED, PAYER_ACTION_REQUIRED, APPROVED: no money yet. An approved order is captured (or authorized) by
        # its CHECKOUT.ORDER.APPROVED webhook (PayPal retries it for 3 days; a failed one is stored and retried).
        if order.intent != AUTHORIZE:
            return capture_news(order, base)
        news = authorization_news(order, base)
        still_held = news is not None and news.action is EventAction.PAYMENT_AUTHORIZED
        if still_held and payment.status is PaymentStatus.AUTHORIZED and not payment.capture_pending:
            return None  # still held: nothing new (once the honor period is over, the janitor lets it lapse)
        return news  # for a capture in flight, "still held" tells the janitor whether it was ever made

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Every event of PayPal's event list since `since` (pulled_events.py): the inbox dedupes the ones we have."""
        return await listed_events(self._api, since, self._clock.now())

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return await fetched_event(self._api, event_id)

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        answer = await self._find_refund(payment, refund)
        if answer is None:
            return None
        event_id = f"lookup:{answer.id}:{answer.status}"
        base = ProviderEvent(NAME, event_id, "refund.lookup", EventAction.NONE, payment.id, refund_id=refund.id)
        return refund_news(answer, base)

    async def _payment_of_capture(self, event: ProviderEvent) -> ProviderEvent:
        """A refund or dispute naming only PayPal's capture: the capture's custom_id is our payment id."""
        payment_id = None
        if event.provider_reference:
            capture = await self._api.get(f"/v2/payments/captures/{segment(event.provider_reference)}", wire.Capture)
            payment_id = ours(capture.custom_id)
        return replace(event, payment_id=payment_id, needs_confirmation=False)

    async def _find_refund(self, payment: Payment, refund: Refund) -> wire.Refund | None:
        if refund.provider_reference:
            return await self._api.get(f"/v2/payments/refunds/{segment(refund.provider_reference)}", wire.Refund)
        if payment.provider_reference is None:
            return None
        # The refund call never answered, yet PayPal may have made the refund: the order lists its refunds with
        # the custom_id we gave each. Not there: PayPal never got the call (or has not finished it).
        order = await self._api.order(payment.provider_reference)
        return next((candidate for candidate in order.refunds if candidate.custom_id == refund.id), None)

    async def _capture_of(self, payment: Payment) -> wire.Capture:
        if payment.provider_reference is None:
            raise ProviderError(NAME, f"{payment.id} has no PayPal order to refund")
        order = await self._api.order(payment.provider_reference)
        for capture in order.captures:
            if capture.status in SUCCEEDED_CAPTURES:
                return capture
        raise ProviderError(NAME, f"PayPal order {order.id} has no completed capture to refund")


def _state(order: wire.Order) -> str:
    """The order, its hold and its capture as PayPal reports them now: a lookup's event id (new news, new id)."""
    parts = [order.status]
    for step in (order.authorization, order.captures[0] if order.captures else None):
        if step is not None:
            parts += [step.id, step.status]
    return ":".join(parts)
