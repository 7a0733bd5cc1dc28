"""The read model with payment statuses answered from `StatusCache` when it holds them (see status_cache.py).

A decorator behind the same port: handlers and controllers do not know whether an answer came from memory.
Only `payment_status` is cached; the other queries are admin reads, rarely repeated, and go to the store.
"""

from __future__ import annotations

from collections.abc import Collection

from application.ports.read_model import PaymentReadModel
from application.views import (
    AuditEntryView,
    PaymentStatusView,
    PaymentView,
    TransactionFilter,
    TransactionPage,
    TransactionView,
)
from infrastructure.db.read.status_cache import StatusCache


class StatusCachingReadModel:
    def __init__(self, inner: PaymentReadModel, cache: StatusCache) -> None:
        self._inner, self._cache = inner, cache

    async def payment_status(self, order_id: str) -> PaymentStatusView | None:
        cache = self._cache
        view = cache.get(order_id)
        if view is not None:
            return view
        epoch = cache.epoch  # before reading: a change committed meanwhile moves it, and the answer is not kept
        view = await self._inner.payment_status(order_id)
        if view is not None:
            cache.put(order_id, view, epoch)
        return view

    async def payment(self, payment_id: str) -> PaymentView | None:
        return await self._inner.payment(payment_id)

    async def payments(self, payment_ids: Collection[str]) -> dict[str, PaymentView]:
        return await self._inner.payments(payment_ids)

    async def audit_trail(self, payment_id: str) -> list[AuditEntryView] | None:
        return await self._inner.audit_trail(payment_id)

    async def transactions(self, filters: TransactionFilter, limit: int, cursor: str | None) -> TransactionPage:
        return await self._inner.transactions(filters, limit, cursor)

    async def transaction(self, id_or_reference: str) -> TransactionView | None:
        return await self._inner.transaction(id_or_reference)
