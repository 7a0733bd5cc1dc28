"""A one-write unit of work (the checkout's session attach): the same rows as a transaction's write; on Postgres
its one statement commits by itself, a second statement is refused, and a kept connection seen closed is replaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import ConcurrentUpdate
from domain.payments.payment import Payment
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.one_statement import SecondStatementRefused
from infrastructure.db.tables import outbox, payment_events
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, T0, new_payment, store
from tests.integration.db.lost_connections import seen_closed, terminate_other_sessions

_SESSION = ("cs_test_1", "https://pay.example/cs_test_1", T0 + timedelta(hours=1))


async def _attached(uow: SqlUnitOfWork, ids: SortableIdGenerator) -> Payment:
    """A stored payment with a session attached in memory, as the checkout has it after the provider answered."""
    payment = new_payment(ids)
    await store(uow, payment)
    assert payment.attach_checkout_session(*_SESSION, T0 + timedelta(seconds=1))
    return payment


async def _save_alone(uow: SqlUnitOfWork, payment: Payment) -> None:
    async with uow.one_write() as one:
        await one.payments.save(payment, API)
        await one.commit()


async def _rows(database: Database, table: sa.Table, column: sa.Column[str], payment_id: str) -> list[str]:
    statement = sa.select(table.c.id).where(column == sa.bindparam("p")).order_by(table.c.id)
    return [row["id"] for row in await database.fetch(statement, p=payment_id)]


async def test_the_write_stores_the_payment_with_its_audit_and_outbox_rows(
    uow: SqlUnitOfWork, database: Database, ids: SortableIdGenerator
) -> None:
    payment = await _attached(uow, ids)
    await _save_alone(uow, payment)

    async with uow:
        stored = await uow.payments.get(payment.id)
    assert (stored.provider_reference, stored.checkout_url, stored.expires_at) == _SESSION
    assert stored.version == 1  # 0 when added
    audit = await _rows(database, payment_events, payment_events.c.payment_id, payment.id)
    pending = await _rows(database, outbox, outbox.c.aggregate_id, payment.id)
    assert len(audit) == 2  # created, then the session
    assert audit == pending  # one id each, the same as with a transaction (event_rows.py)


async def test_a_changed_payment_is_refused_and_nothing_is_written(
    uow: SqlUnitOfWork, database: Database, ids: SortableIdGenerator
) -> None:
    payment = await _attached(uow, ids)
    payment.version = 7  # as if another writer had moved it since we read it

    with pytest.raises(ConcurrentUpdate):
        async with uow.one_write() as one:
            await one.payments.save(payment, API)

    async with uow:
        stored = await uow.payments.get(payment.id)
    assert (stored.checkout_url, stored.version) == (None, 0)
    assert len(await _rows(database, payment_events, payment_events.c.payment_id, payment.id)) == 1


async def _stored_checkout_url(database: Database, payment_id: str) -> str | None:
    """What another connection reads (`database` is not the unit of work's)."""
    url: str | None = await database.fetch_value(
        sa.text("SELECT checkout_url FROM payments WHERE id = :p"), p=payment_id
    )
    return url


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_on_postgres_the_statement_is_committed_before_commit_is_called(
    uow: SqlUnitOfWork, database: Database, ids: SortableIdGenerator
) -> None:
    payment = await _attached(uow, ids)
    async with uow.one_write() as one:
        await one.payments.save(payment, API)
        # no transaction was opened: another connection already reads the write (no BEGIN, no COMMIT round trip)
        checkout_url = await _stored_checkout_url(database, payment.id)
        assert checkout_url == _SESSION[1]
        await one.commit()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_the_block_stays_a_transaction(
    uow: SqlUnitOfWork, database: Database, ids: SortableIdGenerator
) -> None:
    payment = await _attached(uow, ids)
    async with uow.one_write() as one:
        await one.payments.save(payment, API)  # several statements there (guarded.py), in one transaction
        before_commit = await _stored_checkout_url(database, payment.id)
        await one.commit()

    assert before_commit is None
    async with uow:
        assert (await uow.payments.get(payment.id)).checkout_url == _SESSION[1]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_on_postgres_a_second_statement_is_refused_before_it_is_sent(
    uow: SqlUnitOfWork, ids: SortableIdGenerator
) -> None:
    first, second = new_payment(ids, "order-a"), new_payment(ids, "order-b")

    async def add_both() -> None:
        async with uow.one_write() as one:
            await one.payments.add(first, API)
            await one.payments.add(second, API)

    with pytest.raises(SecondStatementRefused):
        await add_both()

    async with uow:
        assert (await uow.payments.get(first.id)).order_id == "order-a"  # the first committed by itself
        assert await uow.payments.find_live_for_order("order-b") is None
    with pytest.raises(SecondStatementRefused):
        async with uow.one_write() as one:
            await one.rollback()  # nothing to roll back: refused rather than pretending


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_kept_connection_seen_closed_is_replaced_before_the_statement(
    engine: AsyncEngine, ids: SortableIdGenerator
) -> None:
    database = Database(engine)
    database.keep_idle(1)
    uow = SqlUnitOfWork(database, ids)
    payment = await _attached(uow, ids)  # leaves its connection kept, its next transaction opened by its COMMIT
    (kept,) = [*database._idle, *database._begun]
    await terminate_other_sessions(engine)
    assert await seen_closed(kept.connection)

    await _save_alone(uow, payment)

    async with uow:
        assert (await uow.payments.get(payment.id)).checkout_url == _SESSION[1]
    await database.close()
