"""Payments on SQLAlchemy Core, bound to the unit of work's connection and transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from application.data.cause import Cause
from application.errors import ConcurrentUpdate, LivePaymentExists, PaymentNotFound
from application.ports.ids import IdGenerator
from domain.payments.payment import Payment
from infrastructure.db.errors import is_live_order_violation, store_errors
from infrastructure.db.event_rows import event_rows
from infrastructure.db.payment_mapper import payment_from_rows, payment_values, refund_values, select_with_refunds
from infrastructure.db.tables import LIVE_STATUS_VALUES, outbox, payment_events, payments, refunds

_NEVER_UPDATED = frozenset({"id", "order_id", "created_at"})


class SqlAlchemyPaymentRepository:
    """Loads a payment and its refunds in one statement; writes with an optimistic version check.

    `get(for_update=True)` on Postgres first locks the payment row (`SELECT … FOR UPDATE`, see `_lock`). SQLite
    needs no lock: the unit of work's `BEGIN IMMEDIATE` already serialises writers. The repository remembers the
    refunds as it loaded them, so `save` inserts only new refunds and updates only changed ones.
    """

    def __init__(self, connection: AsyncConnection, ids: IdGenerator) -> None:
        self._connection, self._ids = connection, ids
        self._stored_refunds: dict[str, dict[str, dict[str, Any]]] = {}  # payment id → refund id → row

    async def add(self, payment: Payment, cause: Cause) -> None:
        with store_errors():
            try:
                await self._connection.execute(
                    sa.insert(payments).values(**payment_values(payment), version=payment.version)
                )
            except sa_exc.IntegrityError as error:
                if is_live_order_violation(error):
                    raise LivePaymentExists(payment.order_id) from error
                raise
            self._stored_refunds[payment.id] = {}
            await self._write_refunds(payment)
            await self._write_events(payment, cause)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        payment = await self._load(payments.c.id == payment_id, for_update)
        if payment is None:
            raise PaymentNotFound(payment_id)
        return payment

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        # the same predicate as the partial unique index, so Postgres answers from that index
        live = sa.and_(payments.c.order_id == order_id, payments.c.status.in_(LIVE_STATUS_VALUES))
        return await self._load(live, for_update=False)

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        ours = sa.and_(payments.c.provider_reference == reference, payments.c.provider == provider)
        return await self._load(ours, for_update=False)

    async def save(self, payment: Payment, cause: Cause) -> None:
        values = {k: v for k, v in payment_values(payment).items() if k not in _NEVER_UPDATED}
        statement = (
            sa.update(payments)
            .where(payments.c.id == payment.id, payments.c.version == payment.version)
            .values(**values, version=payment.version + 1)
        )
        with store_errors():
            if (await self._connection.execute(statement)).rowcount != 1:
                raise ConcurrentUpdate(payment.id)
            payment.version += 1
            await self._write_refunds(payment)
            await self._write_events(payment, cause)

    async def _load(self, where: sa.ColumnElement[bool], for_update: bool) -> Payment | None:
        with store_errors():
            if for_update and self._connection.dialect.name != "sqlite" and not await self._lock(where):
                return None
            rows = (await self._connection.execute(select_with_refunds(where))).mappings().all()
        if not rows:
            return None
        payment = payment_from_rows(rows)
        self._stored_refunds[payment.id] = {r.id: refund_values(payment, r) for r in payment.refunds}
        return payment

    async def _lock(self, where: sa.ColumnElement[bool]) -> bool:
        """Locks the payment row in a statement of its own, before the aggregate is read.

        Under READ COMMITTED, `SELECT … JOIN refunds … FOR UPDATE OF payments` that waits for the lock re-reads
        only the locked row afterwards; the joined refunds still come from the snapshot taken before the wait,
        so concurrent refunds would each miss the others' reservations. Reading after the lock, in a new
        statement, sees everything committed by the transaction we waited for.
        """
        locked = await self._connection.execute(sa.select(payments.c.id).where(where).with_for_update())
        return locked.first() is not None

    async def _write_refunds(self, payment: Payment) -> None:
        stored = self._stored_refunds.get(payment.id)
        if stored is None and not payment.refunds:  # nothing to write (stored refunds not in hand stay as they are)
            return
        if stored is None:  # saved without being loaded here: compare against the store instead
            stored = await self._read_refunds(payment.id)
        current = {r.id: refund_values(payment, r) for r in payment.refunds}
        new = [row for refund_id, row in current.items() if refund_id not in stored]
        if new:
            await self._connection.execute(sa.insert(refunds), new)
        for refund_id, row in current.items():
            if refund_id in stored and stored[refund_id] != row:
                changes = {k: v for k, v in row.items() if stored[refund_id][k] != v}
                await self._connection.execute(sa.update(refunds).where(refunds.c.id == refund_id).values(changes))
        self._stored_refunds[payment.id] = current

    async def _read_refunds(self, payment_id: str) -> dict[str, dict[str, Any]]:
        result = await self._connection.execute(sa.select(refunds).where(refunds.c.payment_id == payment_id))
        return {row["id"]: dict(row) for row in result.mappings()}

    async def _write_events(self, payment: Payment, cause: Cause) -> None:
        events = payment.pull_events()
        if not events:
            return
        audit, pending = event_rows(events, cause, lambda: self._ids.new("evt"))
        await self._connection.execute(sa.insert(payment_events), audit)
        await self._connection.execute(sa.insert(outbox), pending)
