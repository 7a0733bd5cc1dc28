"""Counts payment status changes where they become true: when the transaction that writes them commits.

Wraps any UnitOfWork (the container wraps the store's), so every path that moves a payment (webhooks, checkout
failures, refunds, the janitor, worker retries, admin replays) is counted the same way, and a change that is
rolled back, or whose commit fails, is never counted.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from application.ports.cause import Cause
from application.ports.metrics import Metrics
from application.ports.repositories import PaymentRepository, WebhookInbox
from application.ports.unit_of_work import UnitOfWork
from domain.payments.payment import Payment

Transition = tuple[str, str]


class TransitionCountingUnitOfWork:
    payments: PaymentRepository
    inbox: WebhookInbox

    def __init__(self, inner: UnitOfWork, metrics: Metrics) -> None:
        self._inner, self._metrics = inner, metrics
        self._written: list[Transition] = []

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self._written = []
        self.payments = _TransitionRecordingPayments(self._inner.payments, self._written)
        self.inbox = self._inner.inbox
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._written.clear()  # whatever was not committed is rolled back by the inner unit of work
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        await self._inner.commit()
        for from_status, to_status in self._written:
            self._metrics.status_transition(from_status, to_status)
        self._written.clear()

    async def rollback(self) -> None:
        self._written.clear()
        await self._inner.rollback()


class _TransitionRecordingPayments:
    """The store's repository; notes the status changes of what it writes (writing hands the events over)."""

    def __init__(self, inner: PaymentRepository, written: list[Transition]) -> None:
        self._inner, self._written = inner, written

    async def add(self, payment: Payment, cause: Cause) -> None:
        changes = _transitions(payment)
        await self._inner.add(payment, cause)
        self._written.extend(changes)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        return await self._inner.get(payment_id, for_update=for_update)

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        return await self._inner.find_live_for_order(order_id)

    async def save(self, payment: Payment, cause: Cause) -> None:
        changes = _transitions(payment)
        await self._inner.save(payment, cause)
        self._written.extend(changes)


def _transitions(payment: Payment) -> list[Transition]:
    # Only real changes: creation has no previous status, and refund events leave the status as it was.
    return [
        (event.from_status.value, event.to_status.value)
        for event in payment.pending_events
        if event.from_status is not None and event.to_status is not None and event.from_status != event.to_status
    ]
