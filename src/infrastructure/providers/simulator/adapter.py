"""The simulator: a payment provider that lives inside the service, for development and demos.

It behaves like a real provider seen from the outside. Checkout hands out a hosted page
(`/simulator/checkout/{payment_id}`) whose Pay and Decline buttons send a signed webhook; a refund is answered
`pending` and settled shortly after by a signed webhook: `refund.succeeded`, or `refund.failed` when the
refund's note is exactly `simulate:fail` (API.md). Every webhook travels over HTTP to our own public URL,
`POST {public_url}/api/v1/webhooks/simulator`, so it exercises the same path as a real provider's.

Wire format (JSON, UTF-8):

    {"id": "evt_sim_…", "type": "payment.succeeded" | "payment.failed" | "refund.succeeded" | "refund.failed",
     "created": <unix seconds>,
     "data": {"payment_id": "pay_…", "refund_id": "re_…" (refund events only), "amount": <minor units>,
              "currency": "USD", "reason": "…" (failures only)}}

Header `Simulator-Signature: t=<unix>,v1=<hex>`: Stripe's scheme (see `signing.py`) with
PAYMENTS_SIMULATOR_WEBHOOK_SECRET, a comma-separated list for rotation: what the simulator sends is signed with
the first secret, and a webhook signed with any of them is accepted. Payment events get a fresh id per button press, so pressing Pay twice
sends two distinct events (the state machine ignores the second). A refund's settlement event id is derived
from the refund id, so repeating it can only ever be recognised as a duplicate.

The janitor asks the simulator as it asks a real provider, and the simulator keeps no memory that a restart
could lose: what it decides is a pure function of what the service stores. A refund is settled once
PAYMENTS_SIMULATOR_REFUND_DELAY_SECONDS have passed since it was created, failed if its note is `simulate:fail`,
else succeeded: a settlement webhook cancelled by a shutdown is answered by `lookup_refund` instead. A payment
is paid or declined only by a press on its page, which delivers its webhook before answering, so nothing is
left to look up: an unpaid payment stays `processing` until the janitor expires it with its checkout.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import httpx
import msgspec

from application.data.provider_news import CheckoutSession, EventAction, MissedEvent, ProviderEvent, ProviderRefund
from application.errors import MalformedWebhook, ProviderUnavailable
from application.ports.clock import Clock
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import RefundStatus
from domain.shared.money import Currency
from infrastructure.providers.holds_no_funds import HoldsNoFunds
from infrastructure.providers.signing import sign, verify

log = logging.getLogger(__name__)

PROVIDER = "simulator"
SIGNATURE_HEADER = "Simulator-Signature"
FAIL_NOTE = "simulate:fail"
CHECKOUT_LIFETIME = timedelta(hours=1)
DEFAULT_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # seconds before each retry of a webhook POST

_ACTIONS: Mapping[str, EventAction] = {
    "payment.succeeded": EventAction.PAYMENT_SUCCEEDED,
    "payment.failed": EventAction.PAYMENT_FAILED,
    "refund.succeeded": EventAction.REFUND_SUCCEEDED,
    "refund.failed": EventAction.REFUND_FAILED,
}
_REFUND_ACTIONS = frozenset({EventAction.REFUND_SUCCEEDED, EventAction.REFUND_FAILED})


class _Data(msgspec.Struct, omit_defaults=True):
    payment_id: Annotated[str, msgspec.Meta(min_length=1)]
    amount: Annotated[int, msgspec.Meta(ge=0)]
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    refund_id: str | None = None
    reason: str | None = None


class _Event(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    type: str
    created: Annotated[int, msgspec.Meta(ge=0)]
    data: _Data


class SimulatorPaymentProvider(HoldsNoFunds):
    name = PROVIDER

    def __init__(
        self,
        public_url: str,
        webhook_secrets: tuple[str, ...],
        refund_delay_seconds: float,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.webhook_url = f"{self.public_url}/api/v1/webhooks/simulator"
        self._secrets = webhook_secrets  # the first signs what we send; any verifies
        self._refund_delay = refund_delay_seconds
        self._http, self._clock = http, clock
        self._retry_delays = tuple(retry_delays)
        # Strong references: the event loop keeps only weak ones, and a collected task is a lost settlement.
        self._settlements: dict[str, asyncio.Task[None]] = {}

    def supports(self, currency: Currency) -> bool:
        return True

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        # Everything derives from the payment, so a repeated call returns the same session.
        return CheckoutSession(
            provider_reference=f"sim_cs_{payment.id}",
            checkout_url=f"{self.public_url}/simulator/checkout/{payment.id}",
            expires_at=payment.created_at + CHECKOUT_LIFETIME,
        )

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        if refund.id not in self._settlements:
            body = msgspec.json.encode(_settlement(payment, refund, created=self._now()))
            task = asyncio.create_task(self._settle_later(refund.id, body), name=f"simulator-settle-{refund.id}")
            self._settlements[refund.id] = task
            task.add_done_callback(lambda _: self._settlements.pop(refund.id, None))
        return ProviderRefund(provider_reference=f"sim_re_{refund.id}", status=RefundStatus.PENDING)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        lowered = {key.lower(): value for key, value in headers.items()}
        now = int(at.timestamp()) if at is not None else self._now()
        verify(lowered.get(SIGNATURE_HEADER.lower()), body, self._secrets, now, provider=self.name)
        try:
            event = msgspec.json.decode(body, type=_Event)
            occurred_at = datetime.fromtimestamp(event.created, tz=UTC)
        except (msgspec.MsgspecError, ValueError, OverflowError, OSError) as error:
            raise MalformedWebhook(self.name, f"unreadable body: {error}") from None
        return _translate(event, occurred_at)

    # ---- used by the hosted checkout page ---------------------------------------------------------------
    async def confirm(self, event: ProviderEvent) -> ProviderEvent:
        """Simulator events are final as signed; nothing to confirm."""
        return event

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        """Nothing final to tell: a press on the page delivers its webhook before the page answers (module doc)."""
        return None

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """The simulator delivers every event it makes: nothing to pull back."""
        return []

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        """The refund's settlement, the same event its webhook carries, once its delay has passed; until then
        None (still pending), as a real provider answers about a refund it has not settled yet."""
        settles_at = refund.created_at + timedelta(seconds=self._refund_delay)
        if self._clock.now() < settles_at:
            return None
        return _translate(_settlement(payment, refund, created=int(settles_at.timestamp())), settles_at)

    def payment_event(
        self, payment_id: str, amount: int, currency: str, outcome: Literal["succeeded", "failed"]
    ) -> bytes:
        """A payment event body with a fresh id: each button press is a distinct event."""
        reason = "declined on the simulator's checkout page" if outcome == "failed" else None
        return self._encode(
            event_id=f"evt_sim_{uuid.uuid4().hex}",
            event_type=f"payment.{outcome}",
            data=_Data(payment_id=payment_id, amount=amount, currency=currency, reason=reason),
        )

    async def deliver(self, body: bytes) -> int:
        """Signs `body` and POSTs it to our webhook URL; retries connection errors and 5xx with short backoff.

        Returns the last HTTP status; raises ProviderUnavailable if the URL could never be reached.
        """
        for attempt, delay in enumerate((*self._retry_delays, None)):
            try:
                status = await self._post(body)
            except httpx.TransportError as error:
                if delay is None:
                    raise ProviderUnavailable(self.name, f"cannot reach {self.webhook_url}: {error!r}") from None
                log.warning("simulator webhook attempt %d failed: %r; retrying", attempt + 1, error)
            else:
                if status < 500 or delay is None:
                    return status
                log.warning("simulator webhook attempt %d answered %d; retrying", attempt + 1, status)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        """Cancels settlements not yet delivered (the janitor settles those refunds by asking later)."""
        tasks = list(self._settlements.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- internals ----------------------------------------------------------------------------------------
    async def _settle_later(self, refund_id: str, body: bytes) -> None:
        await asyncio.sleep(self._refund_delay)
        try:
            status = await self.deliver(body)
        except ProviderUnavailable as error:
            log.warning("refund %s settlement webhook not delivered: %s", refund_id, error.reason)
            return
        except Exception:  # a background task has no caller to tell: log, never crash silently
            log.exception("refund %s settlement webhook failed", refund_id)
            return
        if not 200 <= status < 300:
            log.warning("refund %s settlement webhook answered %d", refund_id, status)

    async def _post(self, body: bytes) -> int:
        # Signed at each attempt: a retry minutes later must not fall outside the receiver's tolerance.
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secrets[0], body, self._now()),
        }
        response = await self._http.post(self.webhook_url, content=body, headers=headers)
        return response.status_code

    def _encode(self, event_id: str, event_type: str, data: _Data) -> bytes:
        return msgspec.json.encode(_Event(id=event_id, type=event_type, created=self._now(), data=data))

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


def _settlement(payment: Payment, refund: Refund, *, created: int) -> _Event:
    """What the simulator decides about a refund, from the refund alone: its webhook, and its lookup's answer."""
    failed = refund.note == FAIL_NOTE
    return _Event(
        id=f"evt_sim_{refund.id}",
        type="refund.failed" if failed else "refund.succeeded",
        created=created,
        data=_Data(
            payment_id=payment.id,
            refund_id=refund.id,
            amount=refund.amount.amount,
            currency=refund.amount.currency.code,
            reason=f"simulated failure: the refund's note is {FAIL_NOTE}" if failed else None,
        ),
    )


def _translate(event: _Event, occurred_at: datetime) -> ProviderEvent:
    action = _ACTIONS.get(event.type, EventAction.NONE)  # unknown types are stored, not acted on
    if action in _REFUND_ACTIONS and not event.data.refund_id:
        raise MalformedWebhook(PROVIDER, f"{event.type} event without data.refund_id")
    return ProviderEvent(
        provider=PROVIDER,
        event_id=event.id,
        event_type=event.type,
        action=action,
        payment_id=event.data.payment_id,
        provider_reference=f"sim_cs_{event.data.payment_id}",
        refund_id=event.data.refund_id,
        amount=event.data.amount,
        currency=event.data.currency,
        reason=event.data.reason,
        occurred_at=occurred_at,
    )
