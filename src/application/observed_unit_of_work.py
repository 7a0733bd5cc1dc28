"""Tells listeners what a transaction wrote, once it has committed: the one place where "it is now true" is known.

Wraps any UnitOfWork (the container wraps the store's), so every path that writes a payment (webhooks,
checkouts, refunds, the janitor, worker retries, admin replays) is reported the same way, and a write that is
rolled back, or whose commit fails, is never reported. Two listeners use it: the status-transition metrics
(`TransitionCounter`, here) and the API's payment-status cache (infrastructure/db/read/status_cache_invalidation.py,
for read-your-writes). One wrapper for both: each wrapper costs every transaction on the hot paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from application.data.cause import Cause
from application.ports.metrics import Metrics
from application.ports.payment_repository import PaymentRepository
from application.ports.risk import RecentCheckouts
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhook_events import WebhookInbox
from domain.payments.payment import Payment

Transition = tuple[str, str]


@dataclass(frozen=True, slots=True)
class WrittenPayment:
    order_id: str
    transitions: tuple[Transition, ...]  # the status changes written, oldest first (none for other changes)


class CommitListener(Protocol):
    def committed(self, written: Sequence[WrittenPayment]) -> None:
        """Called after each commit that wrote payments; must not fail (the transaction is already done)."""
        ...


class ObservedUnitOfWork:
    payments: PaymentRepository
    inbox: WebhookInbox
    recent_checkouts: RecentCheckouts

    def __init__(self, inner: UnitOfWork, listeners: Sequence[CommitListener]) -> None:
        self._inner, self._listeners = inner, tuple(listeners)
        self._written: list[WrittenPayment] = []

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self._written = []
        self.payments = _RecordingPayments(self._inner.payments, self._written)
        self.inbox = self._inner.inbox
        self.recent_checkouts = self._inner.recent_checkouts
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._written.clear()  # whatever was not committed is rolled back by the inner unit of work
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        await self._inner.commit()
        written = tuple(self._written)
        self._written.clear()  # the same list the recording repository appends to
        if written:
            for listener in self._listeners:
                listener.committed(written)

    async def rollback(self) -> None:
        self._written.clear()
        await self._inner.rollback()

    def one_write(self) -> ObservedUnitOfWork:
        return ObservedUnitOfWork(self._inner.one_write(), self._listeners)


class TransitionCounter:
    """Counts payment status changes where they become true: when the transaction that writes them commits."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def committed(self, written: Sequence[WrittenPayment]) -> None:
        for payment in written:
            for from_status, to_status in payment.transitions:
                self._metrics.status_transition(from_status, to_status)


class _RecordingPayments:
    """The store's repository; notes what it writes (writing hands the payment's events over, so read first)."""

    def __init__(self, inner: PaymentRepository, written: list[WrittenPayment]) -> None:
        self._inner, self._written = inner, written

    async def add(self, payment: Payment, cause: Cause) -> None:
        noted = _written(payment)
        await self._inner.add(payment, cause)
        self._written.append(noted)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        return await self._inner.get(payment_id, for_update=for_update)

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        return await self._inner.find_live_for_order(order_id)

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        return await self._inner.find_by_provider_reference(provider, reference)

    async def save(self, payment: Payment, cause: Cause) -> None:
        noted = _written(payment)
        await self._inner.save(payment, cause)
        self._written.append(noted)


def _written(payment: Payment) -> WrittenPayment:
    # Only real changes count as transitions: creation has no previous status, and refund events leave the
    # status as it was.
    transitions = tuple(
        (event.from_status.value, event.to_status.value)
        for event in payment.pending_events
        if event.from_status is not None and event.to_status is not None and event.from_status != event.to_status
    )
    return WrittenPayment(payment.order_id, transitions)
