"""Flutterwave (API v3, Flutterwave Standard hosted checkout) behind the PaymentProvider port.

- Checkout: POST /v3/payments with `tx_ref` = our payment id, so every webhook and lookup finds its payment.
  Flutterwave assigns its numeric transaction id only once the customer pays, so our provider_reference is the
  tx_ref itself. Asking twice for one payment returns a fresh link for the same tx_ref: harmless.
- Refund: POST /v3/transactions/{id}/refund needs that numeric id, read from verify_by_reference first (which
  also proves the charge succeeded). v3 has no idempotency key, so the refund call is made exactly once and
  never retried here; a timeout leaves the refund pending (RefundPaymentHandler never re-sends it).
  Our refund id travels as `comments`, so a `refund.completed` webhook can name our refund even when the
  answer to the refund call was lost (https://developer.flutterwave.com/docs/payment-operations/refunds).
- Refund settlement: the refund call's answer (`completed` settles at once), else the `refund.completed`
  webhook (confirmed through GET /v3/refunds/{id}), else `lookup_refund` (the janitor) via the same GET.
- Webhooks: see signature.py, events.py and verification.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from application.data.provider_news import CheckoutSession, EventAction, MissedEvent, ProviderEvent, ProviderRefund
from application.errors import ProviderError
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency
from infrastructure.providers.decimal_amounts import to_major
from infrastructure.providers.flutterwave import events, signature
from infrastructure.providers.flutterwave.api import FlutterwaveApi
from infrastructure.providers.flutterwave.checkout import checkout_body
from infrastructure.providers.flutterwave.verification import (
    judge_charge,
    judge_refund,
    judge_refund_record,
    refund_outcome,
)
from infrastructure.providers.holds_no_funds import HoldsNoFunds

# Flutterwave's collection currencies we route to it (https://developer.flutterwave.com/docs/collecting-payments).
SUPPORTED_CURRENCIES = frozenset(
    "NGN GHS KES UGX TZS ZAR XAF XOF RWF ZMW MWK EGP ETB USD EUR GBP".split()  # noqa: SIM905
)
_REFUND_STATUSES = {
    EventAction.REFUND_SUCCEEDED: RefundStatus.SUCCEEDED,
    EventAction.REFUND_FAILED: RefundStatus.FAILED,
}


class FlutterwavePaymentProvider(HoldsNoFunds):
    name = "flutterwave"

    def __init__(self, api: FlutterwaveApi, secret_hashes: tuple[str, ...], fallback_redirect_url: str) -> None:
        # every hash is accepted (rotation: the old one and the new one while the dashboard changes over)
        self._api, self._secret_hashes, self._fallback_redirect = api, secret_hashes, fallback_redirect_url

    def supports(self, currency: Currency) -> bool:
        return currency.code in SUPPORTED_CURRENCIES

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        link = await self._api.create_payment(checkout_body(payment, self._fallback_redirect))
        return CheckoutSession(provider_reference=payment.id, checkout_url=link, expires_at=None)

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        tx = await self._api.verify_by_reference(payment.id)
        if tx is None or tx.tx_ref != payment.id or tx.status.lower() != "successful":
            state = "no transaction" if tx is None else f"transaction {tx.id} is {tx.status!r}"
            raise ProviderError(self.name, f"nothing to refund for tx_ref {payment.id}: {state}")
        amount = Decimal(to_major(refund.amount.amount, refund.amount.currency))
        record = await self._api.refund(str(tx.id), amount, comments=refund.id)
        status = _REFUND_STATUSES.get(refund_outcome(record), RefundStatus.PENDING)
        reason = "Flutterwave answered the refund as failed" if status is RefundStatus.FAILED else None
        return ProviderRefund(provider_reference=str(record.id), status=status, failure_reason=reason)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        # Flutterwave signs no timestamp: `at` changes nothing, the secret hash is always checked.
        signature.verify(headers, body, *self._secret_hashes)
        return events.parse(body)

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        if not event.needs_confirmation:
            return event
        if event.event_type == events.REFUND_COMPLETED:
            record = await self._api.get_refund(event.refund_id or "")
            tx = None
            if record is not None and record.tx_id is not None:
                tx = await self._api.verify(str(record.tx_id))
            return judge_refund(event, record, tx)
        # v3 events name Flutterwave's numeric transaction id; v4 events ("chg_…") are looked up by our tx_ref.
        reference = event.provider_reference or ""
        if reference.isascii() and reference.isdigit():
            return judge_charge(event, await self._api.verify(reference))
        return judge_charge(event, await self._api.verify_by_reference(event.payment_id or ""))

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        tx = await self._api.verify_by_reference(payment.id)
        if tx is None:
            return None  # the customer has not tried to pay yet
        asked = ProviderEvent(
            provider=self.name,
            event_id="",
            event_type=events.CHARGE_COMPLETED,
            action=EventAction.NONE,
            payment_id=payment.id,
            provider_reference=str(tx.id),
        )
        judged = judge_charge(asked, tx)
        if judged.action is EventAction.NONE or judged.amount is None or judged.currency is None:
            return None
        # the same key as the transaction's own webhook: whichever comes second is a duplicate
        key = events.charge_event_id(str(tx.id), tx.status.lower(), tx.tx_ref, judged.amount, judged.currency)
        return dataclasses.replace(judged, event_id=key)

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Flutterwave offers no API listing undelivered webhooks: the janitor's lookups cover missed events."""
        return []

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return None  # nothing is pulled (missed_events), so nothing is fetched again

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        # Without Flutterwave's refund id (the refund call's answer was lost) v3 offers no safe way to find the
        # refund: it stays pending until its `refund.completed` webhook names it through `comments`.
        if not refund.provider_reference:
            return None
        record = await self._api.get_refund(refund.provider_reference)
        if record is None:
            return None
        asked = ProviderEvent(
            provider=self.name,
            event_id=f"{events.REFUND_COMPLETED}:{record.id}:{record.status.lower()}",  # as its webhook's
            event_type=events.REFUND_COMPLETED,
            action=EventAction.NONE,
            payment_id=payment.id,
            refund_id=refund.id,
        )
        judged = judge_refund_record(asked, record, payment.amount.currency.code, payment.id)
        return None if judged.action is EventAction.NONE else judged
