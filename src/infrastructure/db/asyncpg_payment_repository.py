"""Payments on the asyncpg connection itself: the Postgres fast path behind the same port.

SQLAlchemy adds ~0.6 ms of CPU per statement, which on the webhook and checkout paths costs more than Postgres
does (DESIGN.md, "Transactions, consistency and concurrency"). On Postgres the unit of work therefore hands this
repository the driver connection of its SQLAlchemy connection (same pool, same transaction), and the statements
run as plain SQL that asyncpg prepares once per connection and caches. The SQL is generated from the Core tables,
so `tables.py` stays the one schema source. SQLite keeps `SqlAlchemyPaymentRepository`; the same repository,
unit-of-work and concurrency tests run against both.

Statements: `get(for_update=True)` two (lock and read the payment row, then read its refunds: see `get`);
`get` and `find_live_for_order` one; `add` and `save` one each (payment row, audit rows and outbox rows together,
as data-modifying CTEs), plus one per new or changed refund on the refund paths.
"""

# ruff: noqa: S608  (SQL text is assembled once, at import, from the table definitions: no input reaches it)

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information

from application.data.cause import Cause
from application.errors import ConcurrentUpdate, LivePaymentExists, PaymentNotFound
from application.ports.ids import IdGenerator
from domain.payments.payment import Payment
from infrastructure.db.driver_sql import insert_recordset, names, rows_json, to_json
from infrastructure.db.errors import is_live_order_violation, store_errors
from infrastructure.db.event_rows import event_rows
from infrastructure.db.payment_mapper import (
    REFUND_PREFIX,
    payment_from_row,
    payment_from_rows,
    payment_values,
    refund_from_row,
    refund_values,
)
from infrastructure.db.tables import LIVE_STATUS_VALUES, outbox, payment_events, payments, refunds

_JANITOR_COLUMNS = frozenset({"checks", "next_check_at"})  # the janitor's schedule: never written from here
_PAYMENT = tuple(c.name for c in payments.c if c.name not in _JANITOR_COLUMNS)  # payment_values + version
_UPDATED = tuple(name for name in _PAYMENT if name not in ("id", "order_id", "created_at", "version"))
_REFUND = tuple(c.name for c in refunds.c if c.name not in _JANITOR_COLUMNS)
_REFUND_LOADED = tuple(name for name in _REFUND if name not in ("payment_id", "provider"))  # the payment's own
_AUDIT = tuple(c.name for c in payment_events.c)
_OUTBOX = ("id", "event_type", "aggregate_id", "payload", "status", "attempts", "next_attempt_at", "created_at")
_JSON_COLUMNS = frozenset({"metadata"})

_LOAD = (
    f"SELECT {names(_PAYMENT, 'p.')}, "
    + ", ".join(f"r.{name} AS {REFUND_PREFIX}{name}" for name in _REFUND_LOADED)
    + " FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id WHERE {where} ORDER BY r.created_at, r.id"
)
_GET = _LOAD.format(where="p.id = $1")
# The partial unique index's own predicate, spelled as literals so that the planner can use that index.
_LIVE = _LOAD.format(where="p.order_id = $1 AND p.status IN (" + ", ".join(f"'{s}'" for s in LIVE_STATUS_VALUES) + ")")
_BY_REFERENCE = _LOAD.format(where="p.provider_reference = $1 AND p.provider = $2")
_LOCK = f"SELECT {names(_PAYMENT)} FROM payments WHERE id = $1 FOR UPDATE"
_REFUNDS = f"SELECT {names(_REFUND_LOADED)} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"

_n = len(_PAYMENT)
_EVENTS = "a AS ({audit}), o AS ({outbox})"
_ADD = (
    f"WITH p AS (INSERT INTO payments ({names(_PAYMENT)}) VALUES ({', '.join(f'${i + 1}' for i in range(_n))})), "
    + _EVENTS.format(
        audit=insert_recordset(payment_events, _AUDIT, f"${_n + 1}"),
        outbox=insert_recordset(outbox, _OUTBOX, f"${_n + 2}"),
    )
    + " SELECT 1"
)
_SET = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(_UPDATED))
_m = len(_UPDATED) + 2
_SAVE = (
    f"WITH u AS (UPDATE payments SET {_SET}, version = $2 + 1 WHERE id = $1 AND version = $2 RETURNING 1), "
    + _EVENTS.format(
        audit=insert_recordset(payment_events, _AUDIT, f"${_m + 1}", when="EXISTS (SELECT 1 FROM u)"),
        outbox=insert_recordset(outbox, _OUTBOX, f"${_m + 2}", when="EXISTS (SELECT 1 FROM u)"),
    )
    + " SELECT count(*) FROM u"
)
_INSERT_REFUNDS = insert_recordset(refunds, _REFUND, "$1")
_REFUND_CHANGES = tuple(name for name in _REFUND if name not in ("id", "payment_id", "provider", "created_at"))
_UPDATE_REFUND = (
    f"UPDATE refunds SET {', '.join(f'{name} = ${i + 2}' for i, name in enumerate(_REFUND_CHANGES))} WHERE id = $1"
)


class AsyncpgPaymentRepository:
    """The port on an asyncpg connection inside the unit of work's transaction (Postgres only).

    Like `SqlAlchemyPaymentRepository` it remembers the refunds as loaded, so `save` writes only new and changed
    refunds, and every write checks and bumps `version`.
    """

    def __init__(self, connection: asyncpg.Connection, ids: IdGenerator) -> None:
        self._connection, self._ids = connection, ids
        self._stored_refunds: dict[str, dict[str, dict[str, Any]]] = {}  # payment id → refund id → row

    async def add(self, payment: Payment, cause: Cause) -> None:
        values = {**payment_values(payment), "version": payment.version}
        audit, pending = self._event_rows(payment, cause)
        with store_errors():
            try:
                await self._connection.execute(_ADD, *_parameters(values, _PAYMENT), audit, pending)
            except asyncpg.UniqueViolationError as error:
                if is_live_order_violation(error):
                    raise LivePaymentExists(payment.order_id) from error
                raise
            self._stored_refunds[payment.id] = {}
            await self._write_refunds(payment)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        payment = await (self._lock_and_load(payment_id) if for_update else self._load(_GET, payment_id))
        if payment is None:
            raise PaymentNotFound(payment_id)
        return payment

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        return await self._load(_LIVE, order_id)

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        return await self._load(_BY_REFERENCE, reference, provider)

    async def save(self, payment: Payment, cause: Cause) -> None:
        values = payment_values(payment)
        audit, pending = self._event_rows(payment, cause)
        with store_errors():
            updated = await self._connection.fetchval(
                _SAVE, payment.id, payment.version, *_parameters(values, _UPDATED), audit, pending
            )
            if updated != 1:
                raise ConcurrentUpdate(payment.id)
            payment.version += 1
            await self._write_refunds(payment)

    async def _load(self, statement: str, *keys: str) -> Payment | None:
        with store_errors():
            rows = await self._connection.fetch(statement, *keys)
        if not rows:
            return None
        return self._remember(payment_from_rows(rows))

    async def _lock_and_load(self, payment_id: str) -> Payment | None:
        """Locks and reads the payment row, then reads its refunds in a statement of its own.

        Under READ COMMITTED a `FOR UPDATE` that waits re-reads only the locked row; anything else in the same
        statement (a join, a subquery) still comes from the snapshot taken before the wait, so concurrent refunds
        would miss each other's reservations. The refunds statement starts after the lock, with a new snapshot
        that sees everything the transaction we waited for committed.
        """
        with store_errors():
            row = await self._connection.fetchrow(_LOCK, payment_id)
            if row is None:
                return None
            refund_rows = await self._connection.fetch(_REFUNDS, payment_id)
        payment = payment_from_row(row)
        payment.refunds = [refund_from_row(r) for r in refund_rows]
        return self._remember(payment)

    def _remember(self, payment: Payment) -> Payment:
        self._stored_refunds[payment.id] = {r.id: refund_values(payment, r) for r in payment.refunds}
        return payment

    def _event_rows(self, payment: Payment, cause: Cause) -> tuple[str, str]:
        audit, pending = event_rows(payment.pull_events(), cause, lambda: self._ids.new("evt"))
        outbox_rows = [{name: row[name] for name in _OUTBOX} for row in pending]
        return rows_json(audit), rows_json(outbox_rows)

    async def _write_refunds(self, payment: Payment) -> None:
        stored = self._stored_refunds.get(payment.id)
        if stored is None and not payment.refunds:  # nothing to write (stored refunds not in hand stay as they are)
            return
        if stored is None:  # saved without being loaded here: compare against the store instead
            rows = await self._connection.fetch(_REFUNDS, payment.id)
            stored = {r["id"]: refund_values(payment, refund_from_row(r)) for r in rows}
        current = {r.id: refund_values(payment, r) for r in payment.refunds}
        new = [row for refund_id, row in current.items() if refund_id not in stored]
        if new:
            await self._connection.execute(_INSERT_REFUNDS, rows_json(new))
        for refund_id, row in current.items():
            if refund_id in stored and stored[refund_id] != row:
                await self._connection.execute(_UPDATE_REFUND, refund_id, *(row[name] for name in _REFUND_CHANGES))
        self._stored_refunds[payment.id] = current


def _parameters(values: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    return [to_json(values[name]) if name in _JSON_COLUMNS else values[name] for name in columns]
