"""The payment-status cache on Postgres: every commit, from anywhere, reaches it; losing the feed loses nothing.

"Another process" is a unit of work (or plain SQL) that does not know the cache exists: only the database's
notification (migration 0006's triggers, payment_change_feed.py) can tell the cache about its commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.observed_unit_of_work import ObservedUnitOfWork
from application.views import PaymentStatusView
from infrastructure.db.engine import create_engine
from infrastructure.db.read.cached_read_model import StatusCachingReadModel
from infrastructure.db.read.payment_change_feed import (
    APPLICATION_NAME,
    PostgresPaymentChangeFeed,
    asyncpg_connect_kwargs,
)
from infrastructure.db.read.read_model import SqlPaymentReadModel
from infrastructure.db.read.status_cache import StatusCache
from infrastructure.db.read.status_cache_invalidation import StatusCacheInvalidator
from infrastructure.db.sql.database import Database
from infrastructure.db.write.unit_of_work import SqlUnitOfWork
from infrastructure.ids import SortableIdGenerator
from tests.integration.db.builders import API, T0, new_payment, paid_payment, refund, store

SETTLE_SECONDS = 5.0  # generous: a notification normally arrives within a millisecond


class CountingStore(SqlPaymentReadModel):
    """The real read model, counting the status reads that reached the database."""

    reads = 0

    async def payment_status(self, order_id: str) -> PaymentStatusView | None:
        self.reads += 1
        return await super().payment_status(order_id)


@dataclass
class Cached:
    engine: AsyncEngine
    cache: StatusCache
    store: CountingStore
    reads: StatusCachingReadModel
    feed: PostgresPaymentChangeFeed
    ids: SortableIdGenerator

    def elsewhere(self) -> SqlUnitOfWork:
        """A writer that knows nothing of the cache, as in another process."""
        return SqlUnitOfWork(Database(self.engine), self.ids)


@pytest.fixture
async def cached(postgres: str) -> AsyncIterator[Cached]:
    engine = create_engine(postgres, pool_size=5)
    cache = StatusCache(1_000, 60.0)
    counting = CountingStore(Database(engine))
    feed = PostgresPaymentChangeFeed(asyncpg_connect_kwargs(engine), cache, ping_seconds=0.2, first_retry_seconds=0.05)
    await feed.start()
    await asyncio.wait_for(feed.connected.wait(), SETTLE_SECONDS)
    try:
        yield Cached(engine, cache, counting, StatusCachingReadModel(counting, cache), feed, SortableIdGenerator())
    finally:
        await feed.stop()
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {SETTLE_SECONDS} s: {what}")
        await asyncio.sleep(0.01)


async def settled() -> None:
    """Lets the notifications of the setup's own commits arrive: a read racing one is (rightly) not kept."""
    await asyncio.sleep(0.1)


async def status_of(cached: Cached, order_id: str) -> PaymentStatusView:
    found = await cached.reads.payment_status(order_id)
    assert found is not None
    return found


async def test_repeat_reads_are_answered_without_the_database(cached: Cached) -> None:
    await store(cached.elsewhere(), new_payment(cached.ids, "order-1"))
    await settled()
    for _ in range(5):
        assert (await status_of(cached, "order-1")).status == "processing"
    assert cached.store.reads == 1


async def test_a_payment_change_committed_elsewhere_reaches_the_cache(cached: Cached) -> None:
    payment = new_payment(cached.ids, "order-1")
    await store(cached.elsewhere(), payment)
    assert (await status_of(cached, "order-1")).status == "processing"
    async with cached.elsewhere() as uow:
        stored = await uow.payments.get(payment.id, for_update=True)
        stored.attach_checkout_session("cs_1", "https://pay.example/1", None, T0)
        stored.succeed(T0 + timedelta(seconds=1))
        await uow.payments.save(stored, API)
        await uow.commit()

    async def succeeded() -> bool:
        return (await status_of(cached, "order-1")).status == "succeeded"

    await eventually(succeeded, "the cached status follows the commit")
    await settled()
    await status_of(cached, "order-1")
    reads = cached.store.reads
    assert (await status_of(cached, "order-1")).status == "succeeded"
    assert cached.store.reads == reads  # cached again


async def test_a_refund_committed_elsewhere_reaches_the_cache(cached: Cached) -> None:
    payment = paid_payment(cached.ids, "order-1", amount=5_000)
    await store(cached.elsewhere(), payment)
    assert (await status_of(cached, "order-1")).amount_refunded == 0
    async with cached.elsewhere() as uow:
        stored = await uow.payments.get(payment.id, for_update=True)
        refund(cached.ids, stored, 2_000, T0 + timedelta(minutes=1), succeed=True)
        await uow.payments.save(stored, API)
        await uow.commit()

    async def refunded() -> bool:
        return (await status_of(cached, "order-1")).amount_refunded == 2_000

    await eventually(refunded, "the refunded amount follows the refund")


async def test_a_change_made_in_plain_sql_reaches_the_cache(cached: Cached, postgres: str) -> None:
    await store(cached.elsewhere(), new_payment(cached.ids, "order-1"))
    assert (await status_of(cached, "order-1")).status == "processing"
    connection = await asyncpg.connect(postgres.replace("+asyncpg", ""))
    try:
        await connection.execute("UPDATE payments SET status = 'expired' WHERE order_id = 'order-1'")
    finally:
        await connection.close()

    async def expired() -> bool:
        return (await status_of(cached, "order-1")).status == "expired"

    await eventually(expired, "an operator's UPDATE reaches the cache")


async def test_a_rolled_back_change_leaves_the_cache_alone(cached: Cached) -> None:
    payment = new_payment(cached.ids, "order-1")
    await store(cached.elsewhere(), payment)
    await settled()
    await status_of(cached, "order-1")
    async with cached.elsewhere() as uow:  # never committed
        stored = await uow.payments.get(payment.id, for_update=True)
        stored.expire(T0 + timedelta(hours=1))
        await uow.payments.save(stored, API)
    await asyncio.sleep(0.2)
    assert len(cached.cache) == 1
    assert cached.store.reads == 1


async def test_a_write_in_this_process_is_seen_by_the_very_next_read(postgres: str) -> None:
    """Read-your-writes without waiting for the notification: no feed here at all, only the local invalidation."""
    engine, ids = create_engine(postgres, pool_size=5), SortableIdGenerator()
    cache = StatusCache(100, 60.0)
    cache.go_live()  # as if a feed vouched for it, but nothing will ever be notified
    reads = StatusCachingReadModel(SqlPaymentReadModel(Database(engine)), cache)
    uow = ObservedUnitOfWork(SqlUnitOfWork(Database(engine), ids), (StatusCacheInvalidator(cache),))
    try:
        payment = new_payment(ids, "order-1")
        await store(uow, payment)  # type: ignore[arg-type]  # the wrapper is a UnitOfWork like the store's
        found = await reads.payment_status("order-1")
        assert found is not None
        assert found.status == "processing"
        async with uow:
            stored = await uow.payments.get(payment.id, for_update=True)
            stored.expire(T0 + timedelta(hours=1))
            await uow.payments.save(stored, API)
            await uow.commit()
        found = await reads.payment_status("order-1")
        assert found is not None
        assert found.status == "expired"
    finally:
        await engine.dispose()


async def test_losing_the_listening_connection_empties_the_cache_until_the_feed_is_back(
    cached: Cached, postgres: str
) -> None:
    await store(cached.elsewhere(), new_payment(cached.ids, "order-1"))
    await status_of(cached, "order-1")
    admin = await asyncpg.connect(postgres.replace("+asyncpg", ""))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
        assert killed == 1

        async def offline() -> bool:
            return not cached.cache.live

        await eventually(offline, "the cache notices the feed is gone")
        assert len(cached.cache) == 0
        # changed while nobody listens: no notification will ever arrive for it
        await admin.execute("UPDATE payments SET status = 'expired' WHERE order_id = 'order-1'")
        assert (await status_of(cached, "order-1")).status == "expired"  # from the database, not memory

        async def back() -> bool:
            return cached.cache.live

        await eventually(back, "the feed reconnects")
        await status_of(cached, "order-1")
        reads = cached.store.reads
        assert (await status_of(cached, "order-1")).status == "expired"
        assert cached.store.reads == reads  # cached again once it listens
        await admin.execute("UPDATE payments SET status = 'failed' WHERE order_id = 'order-1'")

        async def failed() -> bool:
            return (await status_of(cached, "order-1")).status == "failed"

        await eventually(failed, "notifications reach the reconnected feed")
    finally:
        await admin.close()


async def test_under_concurrent_reads_and_commits_the_cache_settles_on_the_last_commit(
    cached: Cached, postgres: str
) -> None:
    """32 readers poll 8 orders while 8 writers (other connections) flip each order's status 6 times: whatever
    interleaving happens, no reader may leave an older status in the cache once the last commit is notified."""
    orders = [f"order-{n}" for n in range(8)]
    await store(cached.elsewhere(), *(new_payment(cached.ids, order_id) for order_id in orders))
    stop = asyncio.Event()

    async def reader(order_id: str) -> None:
        while not stop.is_set():
            await status_of(cached, order_id)
            await asyncio.sleep(0)

    async def writer(order_id: str) -> None:
        connection = await asyncpg.connect(postgres.replace("+asyncpg", ""))
        try:
            for status in ("expired", "failed") * 3:
                await connection.execute(
                    "UPDATE payments SET status = $2, updated_at = now() WHERE order_id = $1", order_id, status
                )
                await asyncio.sleep(0.005)
        finally:
            await connection.close()

    readers = [asyncio.create_task(reader(order_id)) for order_id in orders for _ in range(4)]
    await asyncio.gather(*(writer(order_id) for order_id in orders))
    await asyncio.sleep(0.1)  # the last notifications land while the readers keep reading
    stop.set()
    await asyncio.gather(*readers)

    async def all_failed() -> bool:
        statuses = [(await status_of(cached, order_id)).status for order_id in orders]
        return statuses == ["failed"] * len(orders)

    await eventually(all_failed, "every order's cached status is its last committed one")
    await settled()
    await all_failed()
    reads = cached.store.reads
    await all_failed()
    assert cached.store.reads == reads  # and it is cached
