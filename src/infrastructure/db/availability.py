"""Waiting for the database at start: `payments serve` and `payments worker` may start before Postgres does (a
host boot, a compose `up`, a failover), or while it is shutting down. Each attempt is one connection and
`SELECT 1`; a failure the store itself causes (`errors.unavailable_reason`: refused, reset, starting up, shutting
down, too many clients, no answer in time) is tried again with backoff until the time is up. Anything else (a
wrong password, a database that does not exist) will not heal by waiting and ends the wait at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa

from infrastructure.db.engine import create_engine
from infrastructure.db.errors import unavailable_reason

FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 5.0
ATTEMPT_SECONDS = 10.0  # one connection attempt at most (asyncpg's own default is 60 s)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A failed attempt, for the one log line each gets."""

    number: int
    reason: str
    retry_in: float
    gives_up_in: float


class DatabaseUnreachable(Exception):
    """The wait is over without a connection: the time ran out, or the failure will not heal by waiting."""

    def __init__(self, reason: str, *, waited: float, attempts: int, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.waited, self.attempts, self.permanent = reason, waited, attempts, permanent


async def wait_for_database(
    url: str,
    timeout_seconds: float,
    on_failed_attempt: Callable[[Attempt], None],
    *,
    probe: Callable[[str, float], Awaitable[None]] | None = None,
) -> int:
    """Returns the number of attempts it took once the database answers; raises DatabaseUnreachable."""
    check = probe or _select_one
    started = time.monotonic()
    deadline, pause, number = started + timeout_seconds, FIRST_PAUSE_SECONDS, 0
    while True:
        number += 1
        try:
            await check(url, max(0.5, min(ATTEMPT_SECONDS, deadline - time.monotonic())))
            return number
        except Exception as error:  # classified: tried again, or the end of the wait
            reason, words = unavailable_reason(error), describe(error)
            if reason is None and isinstance(error, TimeoutError):  # our own limit on the attempt
                reason = f"no answer within {ATTEMPT_SECONDS:g} s"
        left = deadline - time.monotonic()
        if reason is None or left <= 0:
            waited = time.monotonic() - started
            raise DatabaseUnreachable(words, waited=waited, attempts=number, permanent=reason is None)
        retry_in = min(pause, left)
        on_failed_attempt(Attempt(number, words, retry_in, left))
        await asyncio.sleep(retry_in)
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def describe(error: BaseException) -> str:
    """The driver's own words, on one line: `ConnectionRefusedError: [Errno 111] Connect call failed …`."""
    root = getattr(error, "orig", None) or error.__cause__ or error
    text = " ".join(str(root).split()) or "no message"
    return f"{type(root).__name__}: {text}"[:300]


async def _select_one(url: str, seconds: float) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()
