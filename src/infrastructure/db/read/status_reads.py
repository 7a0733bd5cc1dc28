"""Payment-status reads, read together when many wait: one statement for every order asked about meanwhile.

An order system polls the status of each order in flight; the status cache (status_cache.py) answers repeats, so
what reaches the database is the first read of each order, and a read of one order is a round trip of one row.
That round trip is most of such a request's CPU in this process (asyncpg's protocol, the pool, our wrappers),
and a server process facing many pollers at once spends its core sending small queries one by one.

So a read goes out alone while fewer than `IN_FLIGHT` status statements are out; past that it waits, and as soon
as one of them comes back, everything waiting goes out as one statement (up to `MAX_TOGETHER` orders). No timer:
a read never waits for company, only for the first of the statements out to come back, so under load (up to
`MAX_TOGETHER` waiting) it takes at most about two round trips instead of one, and the database answers sooner,
having fewer statements to run. One at a time, reads are the single-order statement they always were.

Each read still sees the database after it was asked (its statement starts after the read began), which is what
the status cache's epoch rule needs (cached_read_model.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextvars import Context
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from application.views import PaymentStatusView
from infrastructure.db.sql.json_rows import one_of
from infrastructure.db.sql.runner import Runner
from infrastructure.db.tables import payments, refunds

# Status statements out at once before reads wait to go together: enough that a read at a quiet moment never
# waits, few enough that under load most reads share a statement (bench/: status_cold).
IN_FLIGHT = 2
MAX_TOGETHER = 64  # orders in one statement; more wait for the next


def _constant(name: str, value: Any, type_: sa.types.TypeEngine[Any]) -> sa.BindParameter[Any]:
    """Written into the statement's text when it is compiled: nothing to bind on each call of the busiest read."""
    return sa.bindparam(name, value, type_=type_, literal_execute=True)


_REFUNDED = (
    sa.select(
        sa.cast(sa.func.coalesce(sa.func.sum(refunds.c.amount), _constant("zero", 0, sa.Integer())), sa.BigInteger)
    )
    .where(refunds.c.payment_id == payments.c.id, refunds.c.status == _constant("succeeded", "succeeded", sa.String()))
    .scalar_subquery()
)  # cast: Postgres sums BIGINT as NUMERIC
# PaymentStatusView's fields in order (views are built positionally: checked below).
_COLUMNS = (
    payments.c.order_id,
    payments.c.id.label("payment_id"),
    payments.c.status,
    payments.c.amount,
    _REFUNDED.label("amount_refunded"),
    payments.c.currency,
    payments.c.provider,
    payments.c.updated_at,
)
_LATEST_FIRST = (payments.c.created_at.desc(), payments.c.id.desc())  # an order's status is its latest payment's
_ONE = (
    sa.select(*_COLUMNS)
    .where(payments.c.order_id == sa.bindparam("order_id"))
    .order_by(*_LATEST_FIRST)
    .limit(_constant("one", 1, sa.Integer()))
)
_RANKED = (
    sa.select(*_COLUMNS, sa.func.row_number().over(partition_by=payments.c.order_id, order_by=_LATEST_FIRST).label("n"))
    .where(one_of(payments.c.order_id, "order_ids"))  # bound as [{"order_id": …}, …]
    .subquery()
)
_MANY = sa.select(*(column for column in _RANKED.c if column.name != "n")).where(
    _RANKED.c.n == _constant("first", 1, sa.Integer())
)
for _statement in (_ONE, _MANY):
    if tuple(_statement.selected_columns.keys()) != tuple(field.name for field in fields(PaymentStatusView)):
        raise AssertionError("a status read selects PaymentStatusView's fields out of order")

_Waiting = tuple[str, "asyncio.Future[PaymentStatusView | None]"]


class StatusReads:
    __slots__ = ("_db", "_in_flight", "_tasks", "_waiting")

    def __init__(self, database: Runner) -> None:
        self._db = database
        self._in_flight = 0
        self._waiting: list[_Waiting] = []
        self._tasks: set[asyncio.Task[None]] = set()  # the event loop keeps only weak references to tasks

    async def status(self, order_id: str) -> PaymentStatusView | None:
        """The order's latest payment's status, None when it has none."""
        if self._in_flight >= IN_FLIGHT:
            waiting: asyncio.Future[PaymentStatusView | None] = asyncio.get_running_loop().create_future()
            self._waiting.append((order_id, waiting))
            return await waiting
        self._in_flight += 1
        try:
            row = await self._db.fetch_one(_ONE, order_id=order_id)
        finally:
            self._came_back()
        return None if row is None else PaymentStatusView(*row.values())

    def _came_back(self) -> None:
        """A statement came back: what waits goes out together now, in a task of its own (the reader that came
        back has its own answer to send, and a read cancelled meanwhile must not take the others with it), in an
        empty context: it serves many requests, so it is traced and logged as none of them."""
        self._in_flight -= 1
        if self._waiting and self._in_flight < IN_FLIGHT:
            together, self._waiting = self._waiting[:MAX_TOGETHER], self._waiting[MAX_TOGETHER:]
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._read_together(together), context=Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _read_together(self, together: Sequence[_Waiting]) -> None:
        try:
            rows = await self._db.fetch(_MANY, order_ids=[{"order_id": order_id} for order_id, _ in together])
        except BaseException as error:
            for _, waiting in together:
                if waiting.done():
                    continue  # a reader cancelled meanwhile has gone
                if isinstance(error, asyncio.CancelledError):
                    waiting.cancel()
                else:
                    waiting.set_exception(error)
            if not isinstance(error, Exception):
                raise  # cancelled, or the process is stopping: its waiters were told, the task ends as it was asked
        else:
            views = {row["order_id"]: PaymentStatusView(*row.values()) for row in rows}
            for order_id, waiting in together:
                if not waiting.done():
                    waiting.set_result(views.get(order_id))
        finally:
            self._came_back()
