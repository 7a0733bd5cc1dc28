"""Paystack behind the PaymentProvider port (https://paystack.com/docs/api/)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from application.data.provider_news import CheckoutSession, EventAction, MissedEvent, ProviderEvent, ProviderRefund
from application.errors import ProviderError, ProviderUnavailable
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency
from infrastructure.providers.holds_no_funds import HoldsNoFunds
from infrastructure.providers.paystack import events, signature
from infrastructure.providers.paystack.api import PaystackApi
from infrastructure.providers.paystack.pulled_transactions import fetched_news, listed_news
from infrastructure.providers.paystack.references import MAX_ATTEMPTS, transaction_reference
from infrastructure.providers.paystack.verification import refund_event, transaction_event, vouched_refund_ids
from infrastructure.providers.paystack.wire import RefundRecord, minor_units

# Paystack takes every amount in the currency's subunit (https://paystack.com/docs/api/#supported-currency).
# For these, its subunit is the ISO 4217 minor unit we store. XOF is left out on purpose: ISO gives it no minor
# unit, and whether Paystack wants francs or hundredths of a franc is not settled by its docs; a wrong guess
# charges 100 times too much or too little, so XOF stays off until confirmed against a Paystack account.
SUPPORTED_CURRENCIES = frozenset({"NGN", "GHS", "ZAR", "KES", "USD", "EGP"})

_UNSAFE_IN_EMAIL = re.compile(r"[^A-Za-z0-9_-]")
# A refund is queued (`pending`) as a rule; anything but a final status stays pending for the webhook.
_PENDING = RefundStatus.PENDING
_REFUND_STATUS = {"processed": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED}


class PaystackPaymentProvider(HoldsNoFunds):
    name = signature.PROVIDER

    def __init__(self, api: PaystackApi, secret_keys: tuple[str, ...]) -> None:
        # every key verifies a webhook (rotation); the API client calls with the first (then the next on a 401)
        self._api, self._secret_keys = api, secret_keys

    def supports(self, currency: Currency) -> bool:
        return currency.code in SUPPORTED_CURRENCIES

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        """POST /transaction/initialize. Paystack cannot hand back an earlier initialize's link and refuses a
        used reference, so a retry after a lost answer takes the payment's next reference (references.py):
        the same payment, a fresh equivalent session. A transaction whose link was lost is never shown to the
        customer; should a customer still pay two of them (concurrent checkouts), both name the payment."""
        for attempt in range(MAX_ATTEMPTS):
            reference = transaction_reference(payment.id, attempt)
            try:
                started = await self._api.initialize(_initialize_body(payment, reference))
            except ProviderError as refused:
                if refused.status == 400 and "duplicate" in refused.message.lower():
                    continue  # an earlier attempt reached Paystack; its link never reached us
                raise
            # Paystack does not document an expiry for a checkout link; the janitor settles stale payments.
            return CheckoutSession(started.reference, started.authorization_url, None)
        raise ProviderError(self.name, f"all {MAX_ATTEMPTS} transaction references for {payment.id} are used")

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        """POST /refund, exactly once per call: Paystack has no idempotency on refunds, so nothing here retries.
        Refunds carry no metadata; the merchant note names our refund id so that one whose answer was lost
        (timeout) can still be found (`lookup_refund`)."""
        record = await self._api.create_refund(
            {
                "transaction": payment.provider_reference or transaction_reference(payment.id),
                "amount": refund.amount.amount,
                "currency": refund.amount.currency.code,
                "merchant_note": f"{refund.id} for {payment.id} ({refund.reason.value})",
            }
        )
        return ProviderRefund(provider_reference=str(record.id), status=_REFUND_STATUS.get(record.status, _PENDING))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        # Paystack signs no timestamp: `at` changes nothing, the HMAC over the body is always checked.
        signature.verify(signature.header_value(headers), body, *self._secret_keys)
        return events.translate(body)

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        """`charge.success` → GET /transaction/verify/:reference, as Paystack asks ("verify before giving value",
        https://paystack.com/docs/payments/verify-payments/). The event applied carries Paystack's verified
        status, amount and currency, so the handler compares our payment with Paystack's numbers, not the
        webhook's."""
        if not event.needs_confirmation:
            return event
        if event.refund_by_amount:
            return await self._vouched(event)
        if event.provider_reference is None:  # never believed unverified
            raise ProviderError(self.name, f"{event.event_type} names no transaction to verify")
        transaction = await self._api.verify(event.provider_reference)
        if transaction.reference != event.provider_reference:
            raise ProviderError(self.name, f"verify {event.provider_reference} answered about {transaction.reference}")
        verified = transaction_event(
            transaction, event_id=event.event_id, event_type=event.event_type, payment_id=event.payment_id
        )
        if verified is None:  # not final yet: the handler stores the event as failed and it is retried later
            raise ProviderUnavailable(self.name, f"transaction {transaction.reference} is still {transaction.status}")
        return replace(verified, occurred_at=event.occurred_at)

    async def _vouched(self, event: ProviderEvent) -> ProviderEvent:
        """A refund webhook names the transaction and the amount, not the refund: the transaction's refund list
        says which of ours Paystack reports in that state (refund_matching.py matches among them). When Paystack
        cannot say now, the event is applied as sent, matched by amount alone: it still settles at once."""
        state = "processed" if event.action is EventAction.REFUND_SUCCEEDED else "failed"
        try:
            records = await self._api.list_refunds(event.provider_reference or "")
        except (ProviderError, ProviderUnavailable):
            records = []
        vouched = vouched_refund_ids(records, state, event.amount)
        return replace(event, needs_confirmation=False, vouched_refund_ids=vouched)

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        reference = payment.provider_reference or transaction_reference(payment.id)
        try:
            transaction = await self._api.verify(reference)
        except ProviderError as refused:
            if refused.status == 404:  # never initialized (the checkout's call never reached Paystack)
                return None
            raise
        event_id = f"transaction.verify:{transaction.id}:{transaction.status}"
        return transaction_event(transaction, event_id=event_id, event_type="transaction.verify", payment_id=payment.id)

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Our transactions' final news from Paystack's transaction list (pulled_transactions.py)."""
        return await listed_news(self._api, since)

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return await fetched_news(self._api, event_id)

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        record = await self._find_refund(payment, refund)
        return None if record is None else refund_event(record, payment_id=payment.id, refund_id=refund.id)

    async def _find_refund(self, payment: Payment, refund: Refund) -> RefundRecord | None:
        if refund.provider_reference:
            try:
                return await self._api.fetch_refund(refund.provider_reference)
            except ProviderError as refused:
                if refused.status == 404:
                    return None
                raise
        # The submission's answer was lost: find it among the transaction's refunds by our id in the note.
        reference = payment.provider_reference or transaction_reference(payment.id)
        for record in await self._api.list_refunds(reference):
            if refund.id in (record.merchant_note or "") and minor_units(record.amount) == refund.amount.amount:
                return record
        return None


def _initialize_body(payment: Payment, reference: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"payment_id": payment.id, "order_id": payment.order_id}
    if payment.details.cancel_url:  # Paystack's "cancel" link on its checkout page (metadata.cancel_action)
        metadata["cancel_action"] = payment.details.cancel_url
    body: dict[str, Any] = {
        "email": payment.details.customer_email or _placeholder_email(payment),
        "amount": payment.amount.amount,
        "currency": payment.amount.currency.code,
        "reference": reference,
        "metadata": metadata,
    }
    if payment.details.return_url:
        body["callback_url"] = payment.details.return_url
    return body


def _placeholder_email(payment: Payment) -> str:
    """Paystack requires an email; the API does not. A stable address per order under `.invalid` (RFC 2606: it
    can never be delivered), so no stranger receives Paystack's receipts."""
    local = _UNSAFE_IN_EMAIL.sub("-", payment.order_id)[:64] or _UNSAFE_IN_EMAIL.sub("-", payment.id)
    return f"{local}@customers.invalid"
