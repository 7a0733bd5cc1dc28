"""Rate limits shared by every process through Redis: one Lua script, one round trip per check.

The script reads the key's state, decides for all tiers, and writes the new debts only when every tier
admits, atomically (Redis runs a script to the end before any other command), so concurrent checks from any
number of processes can never admit more than the limits allow. Time is Redis's own clock (`TIME`), so the
processes' clocks do not need to agree. A key expires once all its buckets are full again.

When Redis cannot be reached the limiter fails open to this process's memory, same limits, per process, for
`retry_seconds`, then tries Redis again. A payment service must keep accepting webhooks while its rate-limit
store is down, and per-process limits still hold off a flood. It logs a warning when it falls back and when
Redis is back.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from infrastructure.rate_limit.gcra import Decision, Policy, decision
from infrastructure.rate_limit.memory import InMemoryRateLimiter, monotonic_us

log = logging.getLogger(__name__)

KEY_PREFIX = "payments:rate-limit:"
RETRY_SECONDS = 5.0
# A check must not hold a request for long when Redis is gone (blackholed rather than refusing connections),
# yet not give up on a live Redis whose answer waits behind a busy event loop.
TIMEOUT_SECONDS = 1.0
# A burst of concurrent requests queues for the pool's connections rather than opening hundreds; waiting in
# that queue is load, not an outage, so it may take longer than one command.
MAX_CONNECTIONS = 32
POOL_WAIT_SECONDS = 5.0

# KEYS[1]: the key's hash. ARGV: the number of tiers n, then each tier's interval (µs) and limit.
# Fields: "t" the time of the last admitted request (µs), "1".."n" each tier's debt then (see gcra.py).
# Returns {allowed (0/1), debt 1, …, debt n}: the debts after paying when allowed, unchanged when refused.
# Every number stays an integer below 2**53, exact in Lua's doubles.
CHECK_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local n = tonumber(ARGV[1])
local fields = {'t'}
for i = 1, n do fields[i + 1] = tostring(i) end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local last = tonumber(stored[1])
local elapsed = 0
if last ~= nil and now > last then elapsed = now - last end
local debts = {}
local allowed = 1
local longest = 0
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  local debt = 0
  if last ~= nil then
    debt = (tonumber(stored[i + 1]) or 0) - math.min(elapsed, interval) * limit
    if debt < 0 then debt = 0 end
  end
  if debt + interval > interval * limit then allowed = 0 end
  debts[i] = debt
  if interval > longest then longest = interval end
end
if allowed == 1 then
  local values = {'t', now}
  for i = 1, n do
    debts[i] = debts[i] + tonumber(ARGV[2 * i])
    values[2 * i + 1] = tostring(i)
    values[2 * i + 2] = debts[i]
  end
  redis.call('HSET', KEYS[1], unpack(values))
  redis.call('PEXPIRE', KEYS[1], math.ceil(longest / 1000) + 1)
end
return {allowed, unpack(debts)}
"""


class RedisRateLimiter:
    def __init__(
        self,
        url: str,
        *,
        fallback: InMemoryRateLimiter | None = None,
        retry_seconds: float = RETRY_SECONDS,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT_SECONDS,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._script = self._redis.register_script(CHECK_SCRIPT)
        self._fallback = fallback if fallback is not None else InMemoryRateLimiter()
        self._retry_us = int(retry_seconds * 1_000_000)
        self._down_until: int | None = None  # monotonic µs; set while Redis is thought unreachable
        self._args: dict[Policy, tuple[int, ...]] = {}  # each policy's script arguments, built once

    @property
    def degraded(self) -> bool:
        """True while checks fall back to this process's memory."""
        return self._down_until is not None

    async def check(self, policy: Policy, subject: str) -> Decision:
        if self._down_until is not None and monotonic_us() < self._down_until:
            return self._fallback.check_now(policy, subject)
        key = f"{KEY_PREFIX}{policy.name}:{subject}"
        try:
            answer: list[Any] = await self._script(keys=[key], args=self._of(policy))
        except (TimeoutError, RedisError, OSError) as error:
            if self._down_until is None:
                log.warning(
                    "rate limits: Redis is unreachable (%s: %s); limiting per process in memory, retrying Redis "
                    "every %.0f s",
                    type(error).__name__,
                    error,
                    self._retry_us / 1_000_000,
                )
            self._down_until = monotonic_us() + self._retry_us
            return self._fallback.check_now(policy, subject)
        if self._down_until is not None:
            self._down_until = None
            log.warning("rate limits: Redis answers again; limits are shared across processes again")
        return decision(policy, answer[0] == 1, [int(d) for d in answer[1:]])

    def _of(self, policy: Policy) -> tuple[int, ...]:
        args = self._args.get(policy)
        if args is None:
            args = (len(policy.tiers),)
            for interval, limit in zip(policy.intervals, policy.limits, strict=True):
                args += (interval, limit)
            self._args[policy] = args
        return args

    async def aclose(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
