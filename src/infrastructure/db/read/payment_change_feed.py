"""Keeps `StatusCache` honest: listens for the database's payment change notifications and invalidates.

Every commit that changes a payment or a refund sends its order id on CHANNEL: the service's processes right
after their commits (payment_change_announcer.py), every other writer from the triggers of migrations 0006 and
0013 (an operator's SQL, a script). Postgres delivers a notification when (and only if) its transaction commits,
to every connection listening at that moment, in commit order.

The feed owns one dedicated asyncpg connection (not one of the pool's). The cache is live only between a
successful LISTEN and the first sign the connection is gone: the termination callback, a failed ping (every
`ping_seconds`, which catches a connection that died silently), or `stop()`. Then the cache empties and every
read goes to the database until the feed has reconnected (with backoff) and listens again.

A status read may therefore trail a commit by the notification's delivery time (about a millisecond on one
host), or by up to one ping interval if the listening connection dies silently; entries never outlive the
cache's TTL (which also bounds a service process dying between a commit and its announcement).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.read.status_cache import StatusCache

CHANNEL = "payment_changes"  # migrations/versions/0006_payment_change_notifications.py sends on it
APPLICATION_NAME = "payments-change-feed"  # how the listening connection shows in pg_stat_activity
CONNECT_TIMEOUT_SECONDS = 5.0
MAX_RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)


class PostgresPaymentChangeFeed:
    def __init__(
        self,
        connect_kwargs: dict[str, Any],
        cache: StatusCache,
        *,
        ping_seconds: float = 5.0,
        first_retry_seconds: float = 0.5,
    ) -> None:
        self._connect_kwargs, self._cache = connect_kwargs, cache
        self._ping_seconds, self._first_retry = ping_seconds, first_retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self.connected = asyncio.Event()  # set while live (the tests wait on it)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="payment-change-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._cache.go_offline()

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, order_id: str) -> None:
        self._cache.invalidate(order_id)

    async def _run(self) -> None:
        retry = self._first_retry
        while True:
            try:
                await self._listen_until_lost()
                retry = self._first_retry  # it was up: the next loss starts the backoff again
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure means "not listening"; retried below
                log.warning("payment change feed unavailable, status reads go to the database: %s", error)
            finally:
                self._cache.go_offline()
                self.connected.clear()
                await self._close()
            await asyncio.sleep(retry)
            retry = min(retry * 2, MAX_RETRY_SECONDS)

    async def _listen_until_lost(self) -> None:
        lost = asyncio.Event()
        self._connection = connection = await asyncpg.connect(**self._connect_kwargs)
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._on_notification)
        # Live only now: every commit from here on reaches `_on_notification`, and go_live() drops anything
        # kept before (none is: the cache is offline until this line).
        self._cache.go_live()
        self.connected.set()
        log.info("payment change feed listening; payment statuses are cached")
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self._ping_seconds)
            except TimeoutError:
                await connection.fetchval("SELECT 1", timeout=self._ping_seconds)
        log.warning("payment change feed lost its connection; status reads go to the database until it is back")

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), CONNECT_TIMEOUT_SECONDS)
            except Exception:  # a connection we are abandoning: terminate it instead
                connection.terminate()


def asyncpg_connect_kwargs(engine: AsyncEngine) -> dict[str, Any]:
    """What the engine's own dialect would pass to asyncpg.connect (host, credentials, ssl, ...), less the
    options only SQLAlchemy's adapter understands."""
    _, params = engine.sync_engine.dialect.create_connect_args(engine.url)
    accepted = inspect.signature(asyncpg.connect).parameters
    kwargs = {name: value for name, value in params.items() if name in accepted}
    kwargs["timeout"] = CONNECT_TIMEOUT_SECONDS
    kwargs["server_settings"] = {**(kwargs.get("server_settings") or {}), "application_name": APPLICATION_NAME}
    return kwargs
