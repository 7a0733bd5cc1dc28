"""Storage ports used inside a unit of work. Implementations run on SQLite and Postgres alike."""

from __future__ import annotations

from typing import Protocol

from application.data.cause import Cause
from domain.payments.payment import Payment


class PaymentRepository(Protocol):
    async def add(self, payment: Payment, cause: Cause) -> None:
        """Inserts the payment and writes its pending events as audit and outbox rows.
        Raises LivePaymentExists when the order already has a live payment (the store enforces it)."""
        ...

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        """Loads the aggregate with its refunds; `for_update` locks the row until the transaction ends.
        Raises PaymentNotFound."""
        ...

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        """The order's payment that is processing or paid, if any (failed/expired/cancelled ones are not)."""
        ...

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        """The payment `provider` knows as `reference` (its checkout session, order or payment id), if ours."""
        ...

    async def save(self, payment: Payment, cause: Cause) -> None:
        """Writes the changed aggregate (checking its version: ConcurrentUpdate if someone else wrote first),
        new and changed refunds, and its pending events as audit and outbox rows."""
        ...
