"""Mollie (Payments API v2, hosted checkout) for the payment port.

- Checkout: POST /v2/payments with `Idempotency-Key: <payment id>`, so a checkout asked again (its answer lost
  to a timeout) gets the same `tr_…` and link back while Mollie keeps the key, instead of a second payment.
- Refund: POST /v2/payments/{tr_…}/refunds with `Idempotency-Key: <refund id>` and our refund id in metadata;
  sent once per call, never retried here (the refund handler never re-sends; `lookup_refund` asks instead).
- Webhooks carry only `id=tr_…` and no signature (`notification_id`). Nothing in them is believed: the caller
  looks the id up among its own payments, then `events_for` fetches the payment and its refunds with our key
  and translates what Mollie says (`events.py`). The janitor's lookups ask the same questions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import httpx

from application.data.provider_news import CheckoutSession, MissedEvent, ProviderEvent, ProviderNotice, ProviderRefund
from application.errors import ProviderError
from application.ports.clock import Clock
from application.ports.payment_provider import MayTakeMoney
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency
from infrastructure.providers.holds_no_funds import HoldsNoFunds
from infrastructure.providers.mollie import events, notification, wire
from infrastructure.providers.mollie.amounts import SUPPORTED_CURRENCIES
from infrastructure.providers.mollie.api import MollieApi
from infrastructure.providers.mollie.bodies import payment_body, refund_body
from infrastructure.providers.mollie.config import MollieConfig
from infrastructure.providers.mollie.pulled_payments import fetched_news, listed_news

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
_REFUND_STATUS = {"refunded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED, "canceled": RefundStatus.FAILED}


class MolliePaymentProvider(HoldsNoFunds):
    """Mollie cannot hold funds for a later capture (HoldsNoFunds), and its open checkouts expire by themselves."""

    name = wire.PROVIDER

    def __init__(
        self,
        config: MollieConfig,
        public_url: str,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        """`timeout_seconds` bounds each call (the registry's PAYMENTS_PROVIDER_TIMEOUT_SECONDS). `clock` is
        taken like every adapter's and unused today: Mollie dates every change itself."""
        self._api = MollieApi(http, config.api_base, config.api_keys, timeout_seconds)
        self._public_url, self._clock = public_url, clock

    def supports(self, currency: Currency) -> bool:
        return currency.code in SUPPORTED_CURRENCIES

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        if not self.supports(payment.amount.currency):  # refused before any call, as Mollie would refuse it
            raise ProviderError(self.name, f"Mollie does not take {payment.amount.currency}")
        created = await self._api.create_payment(payment_body(payment, self._public_url), idempotency_key=payment.id)
        if created.links.checkout is None:  # a payment no longer open has no page to send the customer to
            raise ProviderError(self.name, f"Mollie payment {created.id} is {created.status}, without a checkout")
        return CheckoutSession(created.id, created.links.checkout.href, events.timestamp(created.expires_at))

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        if payment.provider_reference is None:
            raise ProviderError(self.name, f"payment {payment.id} has no Mollie payment to refund")
        body = refund_body(payment, refund)
        created = await self._api.create_refund(payment.provider_reference, body, idempotency_key=refund.id)
        status = _REFUND_STATUS.get(created.status, RefundStatus.PENDING)
        reason = None if status is not RefundStatus.FAILED else f"Mollie answered the refund as {created.status}"
        return ProviderRefund(created.id, status, reason)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderNotice:
        """A notice, not an event: the body names a `tr_…` and proves nothing (no signature exists). The webhook
        processor looks it up among our payments and asks `lookup_payment` / `lookup_refund` (application/webhooks/
        notices.py). MalformedWebhook for a body that names no Mollie payment."""
        return ProviderNotice(self.name, self.notification_id(body), "payment.notice")

    def notification_id(self, body: bytes) -> str:
        """The `tr_…` a webhook body names (MalformedWebhook for anything else). It proves nothing."""
        return notification.notification_id(body)

    async def events_for(self, payment: Payment) -> list[ProviderEvent]:
        """What Mollie says now about our payment and its refunds, as events; [] when it has nothing final, when
        we never learned a `tr_…` for the payment (nothing is fetched), or when Mollie's payment names another of
        ours. ProviderError (404) when Mollie does not know our `tr_…` (another key or mode)."""
        fetched = await self._fetch(payment)
        if fetched is None:
            return []
        refunds = await self._api.list_refunds(fetched.id) if fetched.status == "paid" else []
        return events.translate(fetched, refunds)

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        fetched = await self._fetch(payment, missing_ok=True)
        return None if fetched is None else events.payment_event(fetched)

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        fetched = await self._fetch(payment, missing_ok=True)
        if fetched is None or fetched.status != "paid":  # only a paid payment has refunds
            return None
        for candidate in await self._api.list_refunds(fetched.id):
            if candidate.id == refund.provider_reference or wire.ours(candidate.metadata, "refund_id") == refund.id:
                return events.refund_event(candidate, fetched)
        return None

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Our payments' final news from Mollie's payment list (pulled_payments.py): the inbox dedupes."""
        return await listed_news(self._api, since)

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return await fetched_news(self._api, event_id)

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        """Every Mollie event is already what Mollie's API said, fetched with our key: nothing to confirm."""
        return event

    async def _fetch(self, payment: Payment, *, missing_ok: bool = False) -> wire.Payment | None:
        """GET the payment we stored at checkout; None when there is none, or when Mollie's answer is not about
        this payment of ours (its metadata names another one): such an answer is never acted on."""
        if payment.provider_reference is None:  # the checkout never reached Mollie (or its answer never reached us)
            return None
        try:
            fetched = await self._api.get_payment(payment.provider_reference)
        except ProviderError as refused:
            if missing_ok and refused.status == 404:
                return None
            raise
        claimed = wire.ours(fetched.metadata, "payment_id")
        if fetched.id != payment.provider_reference or claimed != payment.id:
            log.warning(
                "mollie payment %s (asked as %s) names payment %s, not %s: not applied",
                fetched.id,
                payment.provider_reference,
                claimed,
                payment.id,
            )
            return None
        return fetched
