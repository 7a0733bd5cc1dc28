"""Take the money a manual-capture payment holds: all of it, or part (the rest is released)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from application.data.cause import Cause, Source
from application.errors import ProviderError, ProviderUnavailable
from application.messages import Command
from application.metric_outcomes import failure_outcome
from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.payment_provider import PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.views import PaymentView
from domain.payments.payment import Payment

_Change = Callable[[Payment, datetime], bool]  # what the provider's answer does to the payment


@dataclass(frozen=True, slots=True)
class CapturePayment(Command[PaymentView]):
    payment_id: str
    amount: int | None = None  # None: the whole authorization
    actor: str | None = None
    source: Source = "api"  # the console sends "admin"


class CapturePaymentHandler:
    """Reserves the capture under the row lock first (so of two concurrent captures exactly one reaches the
    provider; the other is refused, 409), asks the provider once, then records its answer.

    A provider that does not answer in time leaves the payment `authorized` with `capture_pending`: the capture
    may have happened, so it is never sent again; its webhook or the janitor's lookup settles the payment.
    """

    def __init__(
        self, uow: UnitOfWork, providers: PaymentProviders, clock: Clock, metrics: Metrics = NO_METRICS
    ) -> None:
        self._uow, self._providers, self._clock, self._metrics = uow, providers, clock, metrics

    async def __call__(self, cmd: CapturePayment) -> PaymentView:
        cause = Cause(cmd.source, cmd.actor)
        async with self._uow as uow:  # transaction 1: reserve
            payment = await uow.payments.get(cmd.payment_id, for_update=True)
            try:
                requested = payment.request_capture(cmd.amount, self._clock.now())
            except Exception as error:
                self._metrics.capture(payment.provider, failure_outcome(error))
                raise
            await uow.payments.save(payment, cause)
            await uow.commit()
        provider = self._providers.get(payment.provider)
        try:
            answer = await provider.capture(payment, requested)  # no transaction held
        except ProviderUnavailable:
            self._metrics.capture(provider.name, "unavailable")
            return PaymentView.of(payment)  # capture_pending: settled later, never sent again
        except ProviderError as refused:
            self._metrics.capture(provider.name, "refused")
            reason = refused.message
            await self._record(cmd.payment_id, cause, lambda p, at: p.capture_failed(reason, at))
            raise
        self._metrics.capture(provider.name, "succeeded" if answer.succeeded else "pending")
        if not answer.succeeded:
            return PaymentView.of(payment)
        return await self._record(cmd.payment_id, cause, lambda p, at: p.succeed(at, requested.amount))

    async def _record(self, payment_id: str, cause: Cause, change: _Change) -> PaymentView:
        """Transaction 2: what the provider said (a webhook may have said it first: then nothing changes)."""
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id, for_update=True)
            if payment.capture_pending and change(payment, self._clock.now()):
                await uow.payments.save(payment, cause)
                await uow.commit()
            return PaymentView.of(payment)
