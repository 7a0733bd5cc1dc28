"""PayPal webhook events → the port's ProviderEvent (https://developer.paypal.com/api/rest/webhooks/event-names/).

| event_type                    | resource      | action                                       | our payment id                  |
|-------------------------------|---------------|----------------------------------------------|---------------------------------|
| CHECKOUT.ORDER.APPROVED       | order         | intent CAPTURE: PAYMENT_SUCCEEDED once WE    | purchase_units[0].custom_id     |
|                               |               | have captured; AUTHORIZE: PAYMENT_AUTHORIZED |                                 |
|                               |               | once WE have authorized                      |                                 |
| PAYMENT.AUTHORIZATION.CREATED | authorization | PAYMENT_AUTHORIZED (status CREATED)          | custom_id                       |
| PAYMENT.AUTHORIZATION.VOIDED  | authorization | PAYMENT_CANCELLED (VOIDED), PAYMENT_EXPIRED  | custom_id                       |
|                               |               | (EXPIRED: PayPal let it lapse)               |                                 |
| PAYMENT.CAPTURE.COMPLETED     | capture       | PAYMENT_SUCCEEDED (of an authorization too:  | custom_id                       |
|                               |               | the amount is what was captured)             |                                 |
| PAYMENT.CAPTURE.DENIED        | capture       | PAYMENT_FAILED                               | custom_id                       |
| PAYMENT.CAPTURE.REFUNDED      | refund        | REFUND_SUCCEEDED (FAILED if it failed)       | invoice_id (we set it)          |
| CUSTOMER.DISPUTE.CREATED      | dispute       | PAYMENT_DISPUTED                             | disputed_transactions[0].custom |
| anything else                 |               | NONE (stored, not acted on)                  |                                 |

An approved order is not money yet, nor a hold: the event `needs_confirmation`, and `confirm` captures or
authorizes it (as the order's intent says; we set it from the payment's capture mode). Our ids carry
the prefixes of API.md (`pay_…`, `re_…`); an order whose custom_id is not ours (another integration on the same
PayPal account) is never captured. A refund or dispute that names no payment of ours but names its capture
(PayPal's `up` link, `seller_transaction_id`) needs confirmation too: `confirm` reads the capture's custom_id.
Amounts are decimal strings in major units; the refund's own amount is the refunded amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import msgspec

from application.data.provider_news import EventAction, ProviderEvent
from application.errors import MalformedWebhook
from infrastructure.providers.paypal import wire
from infrastructure.providers.paypal.amounts import UnreadableAmount, from_paypal
from infrastructure.providers.paypal.authorizations import held_news
from infrastructure.providers.paypal.errors import NAME
from infrastructure.providers.paypal.orders import AUTHORIZE

ORDER_APPROVED = "CHECKOUT.ORDER.APPROVED"
PAYMENT_ID_PREFIX, REFUND_ID_PREFIX = "pay_", "re_"
_CAPTURE_LINK = re.compile(r"/v2/payments/captures/([A-Za-z0-9-]+)$")


def translate(body: bytes) -> ProviderEvent:
    """A verified body, translated. MalformedWebhook when it is not a PayPal event we can read."""
    try:
        envelope = msgspec.json.decode(body, type=wire.Envelope)
    except msgspec.DecodeError as error:
        raise MalformedWebhook(NAME, f"unreadable event: {error}") from None
    translator = _TRANSLATORS.get(envelope.event_type)
    base = ProviderEvent(
        NAME, envelope.id, envelope.event_type, EventAction.NONE, occurred_at=wire.moment(envelope.create_time)
    )
    if translator is None:
        return base
    try:
        return translator(envelope.resource, base)
    except (msgspec.DecodeError, UnreadableAmount) as error:
        raise MalformedWebhook(NAME, f"unreadable {envelope.event_type} resource: {error}") from None


def ours(value: str | None, prefix: str = PAYMENT_ID_PREFIX) -> str | None:
    return value if value is not None and value.startswith(prefix) else None


def _approved(raw: msgspec.Raw, base: ProviderEvent) -> ProviderEvent:
    order = msgspec.json.decode(raw, type=wire.Order)
    payment_id = ours(order.unit.custom_id)
    if payment_id is None:
        return replace(base, provider_reference=order.id, reason="the order is not one of ours")
    amount, currency = from_paypal(order.unit.amount) if order.unit.amount else (None, None)
    return replace(
        base,
        action=EventAction.PAYMENT_AUTHORIZED if order.intent == AUTHORIZE else EventAction.PAYMENT_SUCCEEDED,
        payment_id=payment_id,
        provider_reference=order.id,
        amount=amount,
        currency=currency,
        needs_confirmation=True,
    )


def _capture(action: EventAction) -> Callable[[msgspec.Raw, ProviderEvent], ProviderEvent]:
    def translate_capture(raw: msgspec.Raw, base: ProviderEvent) -> ProviderEvent:
        capture = msgspec.json.decode(raw, type=wire.Capture)
        related = capture.supplementary_data.related_ids if capture.supplementary_data else None
        amount, currency = from_paypal(capture.amount) if capture.amount else (None, None)
        reason = wire.explained(f"PayPal capture {capture.id} {capture.status.lower()}", capture.status_details)
        return replace(
            base,
            action=action,
            payment_id=ours(capture.custom_id),
            provider_reference=(related.order_id if related else None) or capture.id,
            amount=amount,
            currency=currency,
            reason=reason if action is EventAction.PAYMENT_FAILED else None,
        )

    return translate_capture


def _authorization(raw: msgspec.Raw, base: ProviderEvent) -> ProviderEvent:
    authorization = msgspec.json.decode(raw, type=wire.Authorization)
    related = authorization.supplementary_data.related_ids if authorization.supplementary_data else None
    payment_id = ours(authorization.custom_id) or ours(authorization.invoice_id)
    order_id = related.order_id if related else None
    return held_news(authorization, replace(base, payment_id=payment_id, provider_reference=order_id))


def _refunded(raw: msgspec.Raw, base: ProviderEvent) -> ProviderEvent:
    refund = msgspec.json.decode(raw, type=wire.Refund)
    failed = refund.status in ("FAILED", "CANCELLED")
    if refund.status != "COMPLETED" and not failed:
        return base  # PENDING: the refund's final word comes later
    capture_id = next((m[1] for link in refund.links if (m := _CAPTURE_LINK.search(link.href))), None)
    payment_id = ours(refund.invoice_id)
    amount, currency = from_paypal(refund.amount) if refund.amount else (None, None)
    return replace(
        base,
        action=EventAction.REFUND_FAILED if failed else EventAction.REFUND_SUCCEEDED,
        payment_id=payment_id,
        provider_reference=capture_id,
        # ours when we set it; otherwise PayPal's refund id, which we stored as the refund's reference
        refund_id=ours(refund.custom_id, REFUND_ID_PREFIX) or refund.id,
        amount=amount,
        currency=currency,
        reason=wire.explained(f"PayPal refund {refund.id} {refund.status.lower()}", refund.status_details),
        needs_confirmation=payment_id is None and capture_id is not None,
    )


def _disputed(raw: msgspec.Raw, base: ProviderEvent) -> ProviderEvent:
    dispute = msgspec.json.decode(raw, type=wire.Dispute)
    disputed = dispute.disputed_transactions[0] if dispute.disputed_transactions else wire.DisputedTransaction()
    payment_id = next(
        filter(None, (ours(v) for v in (disputed.custom, disputed.custom_id, disputed.invoice_number))), None
    )
    return replace(
        base,
        action=EventAction.PAYMENT_DISPUTED,
        payment_id=payment_id,
        provider_reference=disputed.seller_transaction_id,
        reason=f"PayPal dispute {dispute.dispute_id or '?'}: {dispute.reason or 'no reason given'}",
        needs_confirmation=payment_id is None and disputed.seller_transaction_id is not None,
    )


_TRANSLATORS: dict[str, Callable[[msgspec.Raw, ProviderEvent], ProviderEvent]] = {
    ORDER_APPROVED: _approved,
    "PAYMENT.AUTHORIZATION.CREATED": _authorization,
    "PAYMENT.AUTHORIZATION.VOIDED": _authorization,
    "PAYMENT.CAPTURE.COMPLETED": _capture(EventAction.PAYMENT_SUCCEEDED),
    "PAYMENT.CAPTURE.DENIED": _capture(EventAction.PAYMENT_FAILED),
    "PAYMENT.CAPTURE.REFUNDED": _refunded,
    "CUSTOMER.DISPUTE.CREATED": _disputed,
}
