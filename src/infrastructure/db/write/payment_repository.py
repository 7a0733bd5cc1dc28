"""Payments and their refunds inside the unit of work's transaction, on either store.

Statements (payment_statements.py): `get` and the two finders one each; `get(for_update=True)` two (lock the row,
then read its refunds after the lock; the lock none when the webhook inbox's statement took it: locked_payments.py,
the refunds none when the payment's status cannot have any); `add` and `save` one round trip on Postgres for the
payment row with its audit and outbox rows, plus one per new or changed refund on the refund paths. Every write checks and bumps
`version`. The repository remembers the refunds as loaded, so `save` writes only new and changed ones.

On SQLite the unit of work's `BEGIN IMMEDIATE` serialises writers, so the row lock compiles to nothing there.
"""

from __future__ import annotations

from typing import Any

from application.data.cause import Cause
from application.errors import ConcurrentUpdate, LivePaymentExists, PaymentNotFound
from application.ports.ids import IdGenerator
from application.ports.tracing import NO_TRACING, Tracing
from domain.payments.payment import Payment
from domain.payments.status import WITHOUT_REFUNDS
from infrastructure.db.errors import is_live_order_violation
from infrastructure.db.sql.runner import Runner, Statement
from infrastructure.db.write import payment_statements as sql
from infrastructure.db.write.event_rows import event_rows
from infrastructure.db.write.locked_payments import LockedPayments
from infrastructure.db.write.payment_mapper import (
    payment_from_row,
    payment_from_rows,
    payment_values,
    refund_from_row,
    refund_values,
)


class SqlPaymentRepository:
    def __init__(
        self, runner: Runner, ids: IdGenerator, tracing: Tracing = NO_TRACING, locked: LockedPayments | None = None
    ) -> None:
        self._runner, self._ids, self._tracing = runner, ids, tracing
        self._locked = locked  # rows an earlier statement of this transaction locked (the webhook inbox's)
        self._stored_refunds: dict[str, dict[str, dict[str, Any]]] = {}  # payment id → refund id → row

    async def add(self, payment: Payment, cause: Cause) -> None:
        values = {**payment_values(payment), "version": payment.version}
        try:
            await self._runner.execute_guarded(sql.ADD, **values, **self._events(payment, cause))
        except Exception as error:
            if is_live_order_violation(error):
                raise LivePaymentExists(payment.order_id) from error
            raise
        self._stored_refunds[payment.id] = {}
        await self._write_refunds(payment)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        payment = await (self._lock_and_load(payment_id) if for_update else self._load(sql.GET, id=payment_id))
        if payment is None:
            raise PaymentNotFound(payment_id)
        return payment

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        return await self._load(sql.LIVE_FOR_ORDER, order_id=order_id)

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        return await self._load(sql.BY_REFERENCE, provider=provider, reference=reference)

    async def save(self, payment: Payment, cause: Cause) -> None:
        values = {name: value for name, value in payment_values(payment).items() if name in sql.UPDATED}
        touched = await self._runner.execute_guarded(
            sql.SAVE, id=payment.id, expected_version=payment.version, **values, **self._events(payment, cause)
        )
        if touched != 1:
            raise ConcurrentUpdate(payment.id)
        payment.version += 1
        await self._write_refunds(payment)

    async def _load(self, statement: Statement, **key: str) -> Payment | None:
        rows = await self._runner.fetch(statement, **key)
        return self._remember(payment_from_rows(rows)) if rows else None

    async def _lock_and_load(self, payment_id: str) -> Payment | None:
        row = self._locked.take(payment_id) if self._locked is not None else None
        if row is None:
            row = await self._runner.fetch_one(sql.LOCK, id=payment_id)
        if row is None:
            return None
        payment = payment_from_row(row)
        if payment.status not in WITHOUT_REFUNDS:  # one round trip less on the webhook's hot path otherwise
            rows = await self._runner.fetch(sql.REFUNDS_OF, payment_id=payment_id)
            payment.refunds = [refund_from_row(r) for r in rows]
        return self._remember(payment)

    def _remember(self, payment: Payment) -> Payment:
        self._stored_refunds[payment.id] = {r.id: refund_values(payment, r) for r in payment.refunds}
        return payment

    def _events(self, payment: Payment, cause: Cause) -> dict[str, list[dict[str, Any]]]:
        audit, pending = event_rows(payment.pull_events(), cause, lambda: self._ids.new("evt"))
        # the trace of the work in progress, continued by the worker that relays these rows (None: not traced)
        trace_context = self._tracing.current()
        for row in pending:
            row["trace_context"] = trace_context
        return {"audit": audit, "outbox": pending}

    async def _write_refunds(self, payment: Payment) -> None:
        stored = self._stored_refunds.get(payment.id)
        if stored is None and not payment.refunds:  # nothing to write (stored refunds not in hand stay as they are)
            return
        if stored is None:  # saved without being loaded here: compare against the store instead
            rows = await self._runner.fetch(sql.REFUNDS_OF, payment_id=payment.id)
            stored = {r["id"]: refund_values(payment, refund_from_row(r)) for r in rows}
        current = {r.id: refund_values(payment, r) for r in payment.refunds}
        new = [row for refund_id, row in current.items() if refund_id not in stored]
        if new:
            await self._runner.execute(sql.INSERT_REFUNDS, rows=new)
        for refund_id, row in current.items():
            if refund_id in stored and stored[refund_id] != row:
                changes = {name: row[name] for name in sql.REFUND_CHANGES}
                await self._runner.execute(sql.UPDATE_REFUND, refund_id=refund_id, **changes)
        self._stored_refunds[payment.id] = current
