"""Drops the cached statuses of the orders a transaction wrote, in this process, as soon as it commits.

The database's notification (payment_change_feed.py) invalidates every API process a moment after each commit;
this wrapper does it here without waiting, so a status read that follows a write handled by this process
(a checkout, a webhook, a refund) sees it: read-your-writes. Reads served by another process see the change
once its notification arrives.

It wraps the store's unit of work behind the same port and only notes order ids; a transaction that is rolled
back, or whose commit fails, invalidates nothing (there is nothing new to see).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from application.ports.cause import Cause
from application.ports.repositories import PaymentRepository, WebhookInbox
from application.ports.unit_of_work import UnitOfWork
from domain.payments.payment import Payment
from infrastructure.db.status_cache import StatusCache


class StatusInvalidatingUnitOfWork:
    payments: PaymentRepository
    inbox: WebhookInbox

    def __init__(self, inner: UnitOfWork, cache: StatusCache) -> None:
        self._inner, self._cache = inner, cache
        self._orders: set[str] = set()

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self._orders = set()
        self.payments = _OrderRecordingPayments(self._inner.payments, self._orders)
        self.inbox = self._inner.inbox
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._orders.clear()
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        await self._inner.commit()
        for order_id in self._orders:
            self._cache.invalidate(order_id)
        self._orders.clear()

    async def rollback(self) -> None:
        self._orders.clear()
        await self._inner.rollback()


class _OrderRecordingPayments:
    def __init__(self, inner: PaymentRepository, orders: set[str]) -> None:
        self._inner, self._orders = inner, orders

    async def add(self, payment: Payment, cause: Cause) -> None:
        await self._inner.add(payment, cause)
        self._orders.add(payment.order_id)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        return await self._inner.get(payment_id, for_update=for_update)

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        return await self._inner.find_live_for_order(order_id)

    async def save(self, payment: Payment, cause: Cause) -> None:
        await self._inner.save(payment, cause)
        self._orders.add(payment.order_id)
