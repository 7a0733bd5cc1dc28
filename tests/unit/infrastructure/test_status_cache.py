"""The payment-status cache: live only while vouched for, no answer kept across a change, bounded in time and size."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from application.views import PaymentStatusView
from infrastructure.db.read.cached_read_model import StatusCachingReadModel
from infrastructure.db.read.status_cache import StatusCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def view(order_id: str = "order-1", status: str = "processing") -> PaymentStatusView:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    return PaymentStatusView(order_id, "pay_1", status, 1_000, 0, "USD", "simulator", at)


def live_cache(max_entries: int = 10, ttl: float = 30.0, clock: Clock | None = None) -> StatusCache:
    cache = StatusCache(max_entries, ttl, clock or Clock())
    cache.go_live()
    return cache


def test_nothing_is_kept_until_a_feed_makes_the_cache_live() -> None:
    cache = StatusCache(10, 30.0)
    cache.put("order-1", view(), cache.epoch)
    assert cache.get("order-1") is None
    cache.go_live()
    cache.put("order-1", view(), cache.epoch)
    assert cache.get("order-1") == view()


def test_an_answer_read_across_an_invalidation_is_not_kept() -> None:
    cache = live_cache()
    epoch = cache.epoch  # a read starts
    cache.invalidate("order-2")  # any change commits meanwhile, even another order's
    cache.put("order-1", view(), epoch)
    assert cache.get("order-1") is None
    cache.put("order-1", view(), cache.epoch)  # the next read keeps its answer
    assert cache.get("order-1") == view()


def test_an_invalidation_drops_the_order() -> None:
    cache = live_cache()
    cache.put("order-1", view(), cache.epoch)
    cache.put("order-2", view("order-2"), cache.epoch)
    cache.invalidate("order-1")
    assert cache.get("order-1") is None
    assert cache.get("order-2") == view("order-2")


def test_going_offline_drops_everything_and_refuses_answers_read_before() -> None:
    cache = live_cache()
    cache.put("order-1", view(), cache.epoch)
    epoch = cache.epoch
    cache.go_offline()
    assert (cache.live, len(cache), cache.get("order-1")) == (False, 0, None)
    cache.go_live()  # back: an answer read while offline may have missed a change
    cache.put("order-1", view(), epoch)
    assert cache.get("order-1") is None


def test_entries_expire_after_the_time_to_live() -> None:
    clock = Clock()
    cache = live_cache(ttl=30.0, clock=clock)
    cache.put("order-1", view(), cache.epoch)
    clock.now += 29.9
    assert cache.get("order-1") == view()
    clock.now += 0.1
    assert cache.get("order-1") is None
    assert len(cache) == 0


def test_beyond_its_size_the_oldest_stored_entry_goes_first() -> None:
    cache = live_cache(max_entries=2)
    for order_id in ("order-1", "order-2", "order-3"):
        cache.put(order_id, view(order_id), cache.epoch)
    assert [cache.get(o) is not None for o in ("order-1", "order-2", "order-3")] == [False, True, True]
    cache.put("order-2", view("order-2", "succeeded"), cache.epoch)  # a refresh does not evict anyone
    assert len(cache) == 2


class PausableStore:
    """The read model's store side: answers what `current` holds, optionally waiting on `gate` first."""

    def __init__(self) -> None:
        self.current = view()
        self.reads = 0
        self.gate: asyncio.Event | None = None

    async def payment_status(self, order_id: str) -> PaymentStatusView | None:
        self.reads += 1
        answer = self.current if order_id == self.current.order_id else None
        if self.gate is not None:
            await self.gate.wait()
        return answer


async def test_repeat_reads_are_answered_from_memory() -> None:
    store, cache = PausableStore(), live_cache()
    reads = StatusCachingReadModel(store, cache)  # type: ignore[arg-type]  # only payment_status is used
    assert [await reads.payment_status("order-1") for _ in range(3)] == [view()] * 3
    assert store.reads == 1


async def test_a_read_that_raced_a_commit_does_not_keep_the_older_answer() -> None:
    store, cache = PausableStore(), live_cache()
    reads = StatusCachingReadModel(store, cache)  # type: ignore[arg-type]
    store.gate = asyncio.Event()
    slow = asyncio.create_task(reads.payment_status("order-1"))  # reads "processing", then waits
    await asyncio.sleep(0)
    store.current = view(status="succeeded")  # the change commits...
    cache.invalidate("order-1")  # ...and its notification arrives before the slow read returns
    store.gate.set()
    assert (await slow).status == "processing"  # that reader saw the old snapshot, fine
    store.gate = None
    assert (await reads.payment_status("order-1")).status == "succeeded"  # but it was not kept


async def test_an_order_without_a_payment_is_not_cached() -> None:
    store, cache = PausableStore(), live_cache()
    reads = StatusCachingReadModel(store, cache)  # type: ignore[arg-type]
    assert await reads.payment_status("order-9") is None
    assert await reads.payment_status("order-9") is None
    assert store.reads == 2
