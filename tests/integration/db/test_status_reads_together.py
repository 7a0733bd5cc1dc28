"""Status reads that wait go out as one statement, on both stores, and each reader gets its own order's answer.

The database is real; the runner around it only counts the statements (and, in one test, fails the one that
reads many orders), so what is checked is what `StatusReads` sends and what it hands back.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import pytest

from application.errors import StoreUnavailable
from application.views import PaymentStatusView
from infrastructure.db.read.status_reads import IN_FLIGHT, StatusReads
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.runner import Row, Statement
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import T0, new_payment, paid_payment, refund, store

READER: ContextVar[str] = ContextVar("reader")  # stands for a request's context (its trace, its request id)


class CountingRunner:
    """The database, with the status statements it was sent counted (one order: fetch_one; many: fetch), and the
    reader whose context each statement for many orders ran in."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.ones = self.manys = 0
        self.fail_many: Exception | None = None
        self.many_ran_as: list[str | None] = []

    async def fetch_one(self, statement: Statement, /, **values: Any) -> Row | None:
        self.ones += 1
        return await self._db.fetch_one(statement, **values)

    async def fetch(self, statement: Statement, /, **values: Any) -> list[Row]:
        self.manys += 1
        self.many_ran_as.append(READER.get(None))
        if self.fail_many is not None:
            raise self.fail_many
        return await self._db.fetch(statement, **values)


ORDERS = [f"order-{n}" for n in range(12)]
WAIT = 10  # seconds: a reader left waiting fails the test here rather than at the suite's timeout


@pytest.fixture
async def seeded(database: Database, ids: SortableIdGenerator) -> None:
    """Twelve orders, one with a succeeded refund, one with a later retry, one in another currency."""
    payments = [new_payment(ids, order, at=T0 + timedelta(seconds=n)) for n, order in enumerate(ORDERS)]
    paid = paid_payment(ids, "order-paid", at=T0)
    refund(ids, paid, 1_500, T0 + timedelta(minutes=5), succeed=True)
    payments[0].fail("card declined", T0 + timedelta(minutes=8))
    retry = new_payment(ids, "order-0", currency="EUR", at=T0 + timedelta(minutes=9))
    await store(SqlUnitOfWork(database, ids), *payments, paid, retry)


async def _one_by_one(database: Database, order_ids: list[str]) -> list[PaymentStatusView | None]:
    reads = StatusReads(database)
    return [await reads.status(order_id) for order_id in order_ids]


async def test_reads_that_wait_go_out_together_and_each_gets_its_own_orders_answer(
    database: Database, seeded: None
) -> None:
    asked = [*ORDERS, "order-paid", "order-none", "order-0", "order-paid", *ORDERS]  # repeats and an unknown one
    expected = await _one_by_one(database, asked)
    counting = CountingRunner(database)
    reads = StatusReads(counting)

    answers = await asyncio.gather(*(reads.status(order) for order in asked))

    assert answers == expected
    assert expected[asked.index("order-none")] is None
    paid = expected[asked.index("order-paid")]
    assert paid is not None
    assert (paid.status, paid.amount_refunded) == ("partially_refunded", 1_500)
    latest = expected[asked.index("order-0")]
    assert latest is not None
    assert latest.currency == "EUR"  # the retry, not the declined first payment
    # the first IN_FLIGHT went alone; everyone who came while they were out went in one statement
    assert (counting.ones, counting.manys) == (IN_FLIGHT, 1)


async def test_one_read_at_a_time_is_the_single_order_statement(database: Database, seeded: None) -> None:
    counting = CountingRunner(database)
    reads = StatusReads(counting)

    for order in ORDERS[:3]:
        assert await reads.status(order) is not None

    assert (counting.ones, counting.manys) == (3, 0)


async def test_a_failed_statement_fails_each_of_its_readers_and_the_next_reads_go_on(
    database: Database, seeded: None
) -> None:
    counting = CountingRunner(database)
    reads = StatusReads(counting)
    counting.fail_many = StoreUnavailable("the database went away")

    answers = await asyncio.wait_for(
        asyncio.gather(*(reads.status(order) for order in ORDERS), return_exceptions=True), WAIT
    )

    assert all(isinstance(answer, PaymentStatusView) for answer in answers[:IN_FLIGHT])
    assert all(answer is counting.fail_many for answer in answers[IN_FLIGHT:])
    counting.fail_many = None
    again = await asyncio.wait_for(asyncio.gather(*(reads.status(order) for order in ORDERS)), WAIT)
    assert again == await _one_by_one(database, ORDERS)  # nothing was left counted as out


async def test_a_reader_cancelled_while_waiting_leaves_the_others_their_answers(
    database: Database, seeded: None
) -> None:
    reads = StatusReads(CountingRunner(database))
    tasks = [asyncio.create_task(reads.status(order)) for order in ORDERS]
    await asyncio.sleep(0)  # every read has started: the first IN_FLIGHT are out, the rest wait
    tasks[IN_FLIGHT].cancel()  # the first of those waiting: the others come after it in the statement's answer

    answers = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT)

    assert isinstance(answers[IN_FLIGHT], asyncio.CancelledError)
    others = ORDERS[:IN_FLIGHT] + ORDERS[IN_FLIGHT + 1 :]
    assert answers[:IN_FLIGHT] + answers[IN_FLIGHT + 1 :] == await _one_by_one(database, others)


async def test_the_statement_read_together_runs_in_no_readers_context(database: Database, seeded: None) -> None:
    """It serves many requests, so it must not be traced or logged as the one whose read came back first."""
    counting = CountingRunner(database)
    reads = StatusReads(counting)

    async def read_as(reader: str, order_id: str) -> PaymentStatusView | None:
        READER.set(reader)
        return await reads.status(order_id)

    answers = await asyncio.wait_for(asyncio.gather(*(read_as(f"reader {order}", order) for order in ORDERS)), WAIT)

    assert answers == await _one_by_one(database, ORDERS)
    assert counting.many_ran_as == [None]
