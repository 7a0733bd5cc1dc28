"""Wraps any provider adapter with an overall timeout and its circuit breaker, behind the same port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Protocol, TypeVar

from application.data.provider_news import (
    CheckoutSession,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderNotice,
    ProviderRefund,
)
from application.errors import ProviderError, ProviderUnavailable
from application.ports.payment_provider import MayTakeMoney, PaymentProvider
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.shared.money import Currency, Money
from infrastructure.providers.circuit_breaker import CircuitBreaker

T = TypeVar("T")


class ProviderCallObserver(Protocol):
    """Told about every call: its operation, how it ended (ok, refused, unavailable, timeout, circuit_open,
    error) and how long it took (infrastructure/metrics records it as a histogram)."""

    def provider_call(self, provider: str, operation: str, outcome: str, seconds: float) -> None: ...


class GuardedProvider:
    """Every outgoing call gets a deadline; timeouts and unavailability count against the breaker.

    When the breaker is open, calls fail fast with ProviderUnavailable (and its Retry-After) instead of
    waiting for a provider we already know is down.
    """

    def __init__(
        self,
        inner: PaymentProvider,
        breaker: CircuitBreaker,
        timeout_seconds: float,
        observer: ProviderCallObserver | None = None,
    ) -> None:
        self.inner, self.breaker, self._timeout = inner, breaker, timeout_seconds
        self.name = inner.name
        self.supports_manual_capture = inner.supports_manual_capture
        self._observer = observer

    def supports(self, currency: Currency) -> bool:
        return self.inner.supports(currency)

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        return await self._call("checkout", self.inner.create_checkout(payment))

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        return await self._call("refund", self.inner.refund(payment, refund))

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        return await self._call("capture", self.inner.capture(payment, amount))

    async def cancel(self, payment: Payment) -> None:
        await self._call("cancel", self.inner.cancel(payment))

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None
    ) -> ProviderEvent | ProviderNotice:
        return self.inner.parse_webhook(headers, body, at=at)  # local work: no call, no breaker

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        return await self._call("confirm", self.inner.confirm(event, may_take_money))

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        return await self._call("lookup", self.inner.lookup_payment(payment))

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        return await self._call("lookup", self.inner.lookup_refund(payment, refund))

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        return await self._call("missed events", self.inner.missed_events(since))

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        return await self._call("missed events", self.inner.pulled_event(event_id))

    async def _call(self, operation: str, call: Awaitable[T]) -> T:
        started, outcome = time.perf_counter(), "error"
        try:
            if self.breaker.is_open:
                outcome = "circuit_open"
                if asyncio.iscoroutine(call):
                    call.close()  # never started: close it so it is not reported as never awaited
                raise ProviderUnavailable(self.name, "circuit open after repeated failures", self.breaker.retry_after)
            try:
                async with asyncio.timeout(self._timeout):
                    result = await call
            except TimeoutError:
                outcome = "timeout"
                self.breaker.record_failure()
                raise ProviderUnavailable(self.name, f"{operation} timed out after {self._timeout:g} s") from None
            except ProviderUnavailable:
                outcome = "unavailable"
                self.breaker.record_failure()
                raise
            except ProviderError:
                outcome = "refused"
                self.breaker.record_success()  # it answered: up, even if it said no
                raise
            outcome = "ok"
            self.breaker.record_success()
            return result
        finally:
            if self._observer is not None:
                seconds = time.perf_counter() - started
                self._observer.provider_call(self.name, operation.replace(" ", "_"), outcome, seconds)
