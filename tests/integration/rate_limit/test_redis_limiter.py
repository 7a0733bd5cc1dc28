"""The Redis limiter against a real Redis: the same decisions as in memory, atomic across clients, and failing
open to per-process limits when Redis is unreachable."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from infrastructure.rate_limit import InMemoryRateLimiter, Policy, RedisRateLimiter, Tier
from infrastructure.rate_limit.redis_limiter import KEY_PREFIX
from tests.integration.broker.conftest import _skip_or_fail

# long windows: nothing refills noticeably while a test runs, so the counts are exact
SLOW = Policy("test-slow", (Tier(5, 600), Tier(8, 3600)))


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[list[RedisRateLimiter]]:
    """Two limiters with their own connection pools: two processes, as far as Redis can tell."""
    pair = [RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)]
    yield pair
    for limiter in pair:
        await limiter.aclose()


async def test_a_burst_is_admitted_then_refused_with_the_wait(limiters: list[RedisRateLimiter], subject: str) -> None:
    limiter = limiters[0]
    decisions = [await limiter.check(SLOW, subject) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    refused = decisions[-1]
    assert refused.limit == 5
    assert refused.policy == "5;w=600, 8;w=3600"
    assert 119 <= refused.retry_after_seconds <= 120  # one interval of the 600 s tier: 120 s, less time passed
    assert 599 <= refused.reset_seconds <= 600
    assert not limiter.degraded


async def test_decisions_match_the_in_memory_limiter(limiters: list[RedisRateLimiter], subject: str) -> None:
    memory = InMemoryRateLimiter()
    for _ in range(7):
        shared, local = await limiters[0].check(SLOW, subject), memory.check_now(SLOW, subject)
        assert (shared.allowed, shared.limit, shared.remaining) == (local.allowed, local.limit, local.remaining)
        # reset and retry-after are whole seconds computed from each store's own clock
        assert abs(shared.reset_seconds - local.reset_seconds) <= 1
        assert abs(shared.retry_after_seconds - local.retry_after_seconds) <= 1


async def test_concurrent_checks_from_two_clients_never_admit_more_than_the_limit(
    limiters: list[RedisRateLimiter], subject: str
) -> None:
    policy = Policy("test-race", (Tier(40, 600), Tier(100, 3600)))
    checks = [limiters[n % 2].check(policy, subject) for n in range(600)]
    decisions = await asyncio.gather(*checks)
    assert sum(d.allowed for d in decisions) == 40
    # and the two tiers moved together: the hour tier paid for exactly the 40 admitted requests
    other = Policy("test-race", (Tier(1_000_000, 1), Tier(100, 3600)))  # same key, only the hour tier binding
    assert (await limiters[1].check(other, subject)).remaining == 100 - 40 - 1


async def test_refused_requests_cost_nothing_in_any_tier(limiters: list[RedisRateLimiter], subject: str) -> None:
    policy = Policy("test-free", (Tier(2, 600), Tier(5, 3600)))
    assert [(await limiters[0].check(policy, subject)).allowed for _ in range(10)] == [True, True] + [False] * 8
    hour_only = Policy("test-free", (Tier(1_000_000, 1), Tier(5, 3600)))
    assert (await limiters[0].check(hour_only, subject)).remaining == 5 - 2 - 1


async def test_limits_at_the_settings_maxima_are_exact_in_lua(limiters: list[RedisRateLimiter], subject: str) -> None:
    policy = Policy("test-max", (Tier(1_000_000, 1), Tier(60_000_000, 60)))
    first = await limiters[0].check(policy, subject)
    assert (first.allowed, first.limit, first.remaining) == (True, 1_000_000, 999_999)


async def test_a_key_expires_once_its_buckets_are_full_again(
    limiters: list[RedisRateLimiter], redis_url: str, subject: str
) -> None:
    policy = Policy("test-ttl", (Tier(3, 1), Tier(10, 2)))
    await limiters[0].check(policy, subject)
    client = aioredis.from_url(redis_url)
    try:
        ttl_ms = await client.pttl(f"{KEY_PREFIX}test-ttl:{subject}")
    finally:
        await client.aclose()
    assert 1_000 < ttl_ms <= 2_001  # the longest window


async def test_an_unreachable_redis_fails_open_to_limits_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", retry_seconds=60)  # nothing listens on port 1
    caplog.set_level(logging.WARNING, logger="infrastructure.rate_limit.redis_limiter")
    try:
        decisions = [await limiter.check(SLOW, "orders") for _ in range(7)]
    finally:
        await limiter.aclose()
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2  # still limited, per process
    assert limiter.degraded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once per outage, not once per request
    assert "Redis is unreachable" in warnings[0]
    assert "per process" in warnings[0]


async def test_an_outage_falls_back_and_redis_is_used_again_once_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Redis server of this test's own, stopped and started again: a real outage, not a simulated one."""
    caplog.set_level(logging.WARNING, logger="infrastructure.rate_limit.redis_limiter")
    port = _free_port()
    server = await _redis_server(port)
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", retry_seconds=0)  # retry Redis at every check
    try:
        assert [(await limiter.check(SLOW, "orders")).remaining for _ in range(2)] == [4, 3]
        await _stop(server)
        assert (await limiter.check(SLOW, "orders")).remaining == 4  # this process's own count starts afresh
        assert limiter.degraded
        server = await _redis_server(port)  # empty: it kept nothing (no persistence)
        assert (await limiter.check(SLOW, "orders")).remaining == 4
        assert (await limiter.check(SLOW, "orders")).remaining == 3  # counted in Redis again
        assert not limiter.degraded
    finally:
        await limiter.aclose()
        await _stop(server)
    messages = [r.getMessage() for r in caplog.records]
    assert any("Redis is unreachable" in m for m in messages)
    assert any("Redis answers again" in m for m in messages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _redis_server(port: int) -> asyncio.subprocess.Process:
    binary = shutil.which("redis-server")
    if binary is None:
        _skip_or_fail("redis-server is not installed (needed to start and stop a Redis of the test's own)")
    assert binary is not None
    process = await asyncio.create_subprocess_exec(
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        stdout=asyncio.subprocess.DEVNULL,
    )
    client = aioredis.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        for _ in range(100):
            try:
                await client.ping()
                return process
            except (aioredis.ConnectionError, OSError):
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    raise AssertionError(f"redis-server on port {port} did not start")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await process.wait()
