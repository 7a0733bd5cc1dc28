"""The start-up wait for the database: what is tried again, what ends it at once, and when it gives up."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest

from infrastructure.db.availability import Attempt, DatabaseUnreachable, wait_for_database

URL = "postgresql+asyncpg://postgres@127.0.0.1:1/payments"


def _probe(failures: list[BaseException]):  # type: ignore[no-untyped-def]
    async def probe(url: str, seconds: float) -> None:
        assert url == URL
        assert 0 < seconds <= 10
        if failures:
            raise failures.pop(0)

    return probe


async def test_a_refused_connection_is_tried_again_until_the_database_answers() -> None:
    attempts: list[Attempt] = []
    refused = [ConnectionRefusedError(111, "Connect call failed"), asyncpg.CannotConnectNowError("starting up")]
    taken = await wait_for_database(URL, 30, attempts.append, probe=_probe(refused))
    assert taken == 3
    assert [a.number for a in attempts] == [1, 2]
    assert [a.retry_in for a in attempts] == [0.5, 1.0]  # backoff
    assert "ConnectionRefusedError" in attempts[0].reason
    assert "starting up" in attempts[1].reason


async def test_a_wrong_password_ends_the_wait_at_once() -> None:
    attempts: list[Attempt] = []
    wrong = [asyncpg.InvalidPasswordError("password authentication failed for user postgres")]
    with pytest.raises(DatabaseUnreachable) as ended:
        await wait_for_database(URL, 30, attempts.append, probe=_probe(wrong))
    assert ended.value.permanent
    assert ended.value.attempts == 1
    assert "password authentication failed" in ended.value.reason
    assert attempts == []


async def test_the_wait_gives_up_when_the_time_is_up() -> None:
    attempts: list[Attempt] = []
    refused = [ConnectionRefusedError(111, "Connect call failed") for _ in range(100)]
    with pytest.raises(DatabaseUnreachable) as ended:
        await wait_for_database(URL, 1, attempts.append, probe=_probe(refused))
    assert not ended.value.permanent
    assert ended.value.attempts == len(attempts) + 1 >= 2
    # the pauses add up to the time allowed: the last one is cut to what was left (0.5 s, then 0.5 of 1 s)
    assert sum(a.retry_in for a in attempts) == pytest.approx(1, abs=0.05)
    assert attempts[-1].retry_in < attempts[-2].retry_in * 2
