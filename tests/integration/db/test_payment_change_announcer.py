"""The service announces its payment changes after commit; the triggers stay silent for its sessions only.

A listener here is a plain asyncpg connection LISTENing on the channel, as the change feed of another process.
Notifications from different transactions arrive in commit order, so "nothing before the marker" proves that a
commit sent none.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
import pytest

from application.observed_unit_of_work import ObservedUnitOfWork, WrittenPayment
from infrastructure.db.engine import ANNOUNCES_CHANGES, create_engine
from infrastructure.db.read.payment_change_announcer import PaymentChangeAnnouncer
from infrastructure.db.read.payment_change_feed import CHANNEL
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests import databases
from tests.integration.db.builders import API, T0, new_payment, store

pytestmark = pytest.mark.postgres

SETTLE_SECONDS = 10.0  # generous: a notification normally arrives within a millisecond


@dataclass
class Listener:
    connection: asyncpg.Connection
    heard: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def next(self) -> str:
        return await asyncio.wait_for(self.heard.get(), SETTLE_SECONDS)


async def listening(url: str) -> Listener:
    connection = await asyncpg.connect(databases.dsn(url))
    listener = Listener(connection)
    await connection.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: listener.heard.put_nowait(payload))
    return listener


@pytest.fixture
async def listener(postgres: str) -> AsyncIterator[Listener]:
    found = await listening(postgres)
    yield found
    await found.connection.close()


async def marker(url: str) -> None:
    """A notification of its own, committed after whatever the test did before."""
    connection = await asyncpg.connect(databases.dsn(url))
    try:
        await connection.execute(f"SELECT pg_notify('{CHANNEL}', 'marker')")
    finally:
        await connection.close()


async def test_a_commit_in_an_announcing_process_is_announced_once_after_it(postgres: str, listener: Listener) -> None:
    engine, ids = create_engine(postgres, pool_size=2, announces_changes=True), SortableIdGenerator()
    announcer = PaymentChangeAnnouncer(Database(engine))
    uow = ObservedUnitOfWork(SqlUnitOfWork(Database(engine), ids), (announcer,))
    try:
        payment = new_payment(ids, "order-1")
        await store(uow, payment)  # type: ignore[arg-type]  # the wrapper is a UnitOfWork like the store's
        assert await listener.next() == "order-1"
        async with uow:  # rolled back: nothing
            stored = await uow.payments.get(payment.id, for_update=True)
            stored.fail("never committed", T0 + timedelta(hours=2))
            await uow.payments.save(stored, API)
        async with uow:  # two changes of one order in one transaction: one announcement
            stored = await uow.payments.get(payment.id, for_update=True)
            stored.attach_checkout_session("cs_1", "https://pay.example/1", None, T0)
            await uow.payments.save(stored, API)
            stored.expire(T0 + timedelta(hours=1))
            await uow.payments.save(stored, API)
            await uow.commit()
        assert await listener.next() == "order-1"
        await announcer.close()
        await marker(postgres)
        assert await listener.next() == "marker"  # the trigger sent nothing of its own for either commit
    finally:
        await engine.dispose()


async def test_the_triggers_still_notify_for_every_other_session(postgres: str, listener: Listener) -> None:
    ids = SortableIdGenerator()
    engine = create_engine(postgres, pool_size=2)  # not announcing: an older release, a script
    try:
        await store(SqlUnitOfWork(Database(engine), ids), new_payment(ids, "order-1"))
    finally:
        await engine.dispose()
    assert await listener.next() == "order-1"
    dsn = databases.dsn(postgres)
    for settings, order in (({}, "order-1"), (ANNOUNCES_CHANGES, None)):  # an operator's SQL; then a session that
        connection = await asyncpg.connect(dsn, server_settings=settings)  # says it announces (and does not)
        try:
            await connection.execute("UPDATE payments SET status = 'expired' WHERE order_id = 'order-1'")
        finally:
            await connection.close()
        if order is not None:
            assert await listener.next() == order
    await marker(postgres)
    assert await listener.next() == "marker"


async def test_an_announcement_that_fails_is_sent_once_the_store_answers(postgres_session_url: str) -> None:
    """The store is a database that does not exist yet: announcing fails until it is created, then gets through."""
    name = f"payments_test_{secrets.token_hex(4)}"
    url = databases.with_database(postgres_session_url, name)
    engine = create_engine(url, pool_size=1, announces_changes=True)
    announcer = PaymentChangeAnnouncer(Database(engine), first_retry_seconds=0.02)
    listener: Listener | None = None
    try:
        announcer.committed([_written("order-1")])
        await asyncio.sleep(0.2)  # a few failed tries
        admin = await asyncpg.connect(databases.dsn(databases.admin_postgres_url()))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        listener = await listening(url)
        assert await listener.next() == "order-1"
        await announcer.close()
    finally:
        if listener is not None:
            await listener.connection.close()
        await engine.dispose()
        await databases.drop_database(url)


def _written(order_id: str) -> WrittenPayment:
    return WrittenPayment(order_id, ())
