"""Failover at checkout: a provider that gives no answer before a session exists is not the end of the checkout.

A checkout without a provider preference is tried on the next enabled provider for its currency, in routing
order, when its provider times out, answers 5xx or has its circuit open (all `ProviderUnavailable`), in the same
request. Each move is recorded on the payment (`providers_tried`) and in its audit trail (`payment.rerouted`,
which closes the attempt at the provider left behind). A refusal (`ProviderError`) is an answer: it fails the
payment as before and nothing else is tried. An explicit preference is never swapped.

A repeated checkout for a payment still without a session, once the earlier call's answer is overdue
(`CheckoutTiming.answer_due`), is re-routed the same way, starting with the providers it has not tried, instead
of asking the silent one again and leaving the order pinned to it until the janitor's expiry. Before that moment
the earlier request may still be waiting for its answer, so the repeat asks the same provider (idempotent on
our payment id), as it always did.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from application.data.cause import Cause
from application.errors import ProviderUnavailable
from application.ports.clock import Clock
from application.ports.payment_provider import PaymentProvider, PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from domain.payments.payment import CaptureMode, Payment

log = logging.getLogger(__name__)

SessionCreator = Callable[[PaymentProvider, Payment], Awaitable[Payment]]


@dataclass(frozen=True, slots=True)
class CheckoutTiming:
    """How long a provider call may take (PAYMENTS_PROVIDER_TIMEOUT_SECONDS): a payment without a session that
    has not changed for longer has no call in flight any more."""

    answer_due: timedelta = timedelta(seconds=10)


class CheckoutFailover:
    def __init__(
        self, uow: UnitOfWork, providers: PaymentProviders, clock: Clock, timing: CheckoutTiming = CheckoutTiming()
    ) -> None:
        self._uow, self._providers, self._clock, self._timing = uow, providers, clock, timing

    async def create_session(
        self, payment: Payment, preference: str | None, actor: str | None, create: SessionCreator, *, repeated: bool
    ) -> Payment:
        """`create` asks one provider and attaches its session (or fails the payment on a refusal)."""
        route = self._route(payment, preference, repeated=repeated)
        why = "no answer to an earlier checkout"
        for step, name in enumerate(route):
            if name != payment.provider:
                moved = await self._reroute(payment, name, actor, why)
                if moved is None:  # a session arrived or the payment settled meanwhile: nothing left to route
                    return await self._current(payment.id)
                payment = moved
            try:
                return await create(self._providers.get(name), payment)
            except ProviderUnavailable as silent:
                if step == len(route) - 1:
                    raise
                why = silent.reason
                log.warning("checkout of %s: %s; trying %s", payment.id, silent, route[step + 1])
        raise AssertionError("unreachable: a route always has a provider")  # pragma: no cover

    def _route(self, payment: Payment, preference: str | None, *, repeated: bool) -> list[str]:
        """The providers to ask, in order. A first call: the payment's own provider, then (without a preference)
        the others. A repeat whose earlier call may still be waiting for its answer: the same provider, as
        before. A repeat whose earlier answer is overdue: the preferred provider alone, or else the providers
        not tried yet, then the others, the silent one last."""
        overdue = self._clock.now() - payment.updated_at >= self._timing.answer_due
        if repeated and not overdue:
            return [payment.provider]
        if preference is not None:
            return [preference]  # never swapped (and a silent payment moves to it)
        manual = payment.capture is CaptureMode.MANUAL
        others = [
            provider.name
            for provider in self._providers.fallbacks(payment.amount.currency, manual_capture=manual)
            if provider.name != payment.provider
        ]
        if not repeated:
            return [payment.provider, *others]
        untried = [name for name in others if name not in payment.providers_tried]
        tried = [name for name in others if name in payment.providers_tried]
        return [*untried, *tried, payment.provider]

    async def _reroute(self, payment: Payment, provider: str, actor: str | None, why: str) -> Payment | None:
        """Moves the payment under its row lock; None when it no longer may move (it has a session, or settled)."""
        async with self._uow as uow:
            current = await uow.payments.get(payment.id, for_update=True)
            if not current.reroutable:
                return None
            reason = f"{current.provider}: {why}; re-routed to {provider}"
            if current.reroute(provider, reason, self._clock.now()):
                await uow.payments.save(current, Cause("api", actor))
                await uow.commit()
            return current

    async def _current(self, payment_id: str) -> Payment:
        async with self._uow as uow:
            return await uow.payments.get(payment_id)
