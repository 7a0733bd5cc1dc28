"""The read side: projections answered straight from the store, without loading aggregates."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from application.views import (
    AuditEntryView,
    PaymentStatusView,
    PaymentView,
    TransactionFilter,
    TransactionPage,
    TransactionView,
)


class PaymentReadModel(Protocol):
    async def payment_status(self, order_id: str) -> PaymentStatusView | None:
        """The order's latest payment."""
        ...

    async def payment(self, payment_id: str) -> PaymentView | None: ...

    async def payments(self, payment_ids: Collection[str]) -> dict[str, PaymentView]:
        """Each of these payments that exists, by id: one read for many (the outbox relay's batch)."""
        ...

    async def audit_trail(self, payment_id: str) -> list[AuditEntryView] | None:
        """Oldest first; None when the payment does not exist."""
        ...

    async def transactions(self, filters: TransactionFilter, limit: int, cursor: str | None) -> TransactionPage:
        """Newest first, keyset-paginated. Raises InvalidCursor."""
        ...

    async def transaction(self, id_or_reference: str) -> TransactionView | None: ...
