"""Rate limits in this process's memory: the default, and the fallback while Redis is unreachable."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from infrastructure.rate_limit.gcra import Decision, Policy, decision, step

MAX_KEYS = 100_000


def monotonic_us() -> int:
    return time.monotonic_ns() // 1000


class InMemoryRateLimiter:
    """GCRA state per key: the time of its last admitted request, when all its buckets are full again, and one
    debt per tier. O(1) per check and memory bounded two ways: a key whose buckets are all full again is
    forgotten (it would start from full anyway), and beyond `max_keys` the least recently admitted key is
    forgotten early (only reachable with more live keys than any deployment has: keys exist only for
    authenticated API keys and enabled providers).

    Keys are kept in order of their last admitted request, so idle ones are found at the front. Each check is
    synchronous from start to end (no await in between), so concurrent requests on one event loop cannot
    interleave inside it.
    """

    def __init__(self, *, clock: Callable[[], int] = monotonic_us, max_keys: int = MAX_KEYS) -> None:
        self._clock, self._max_keys = clock, max_keys
        # key → [last admitted at (µs), idle from (µs), debt of tier 1, debt of tier 2, …]
        self._states: OrderedDict[str, list[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    async def check(self, policy: Policy, subject: str) -> Decision:
        return self.check_now(policy, subject)

    def check_now(self, policy: Policy, subject: str) -> Decision:
        now = self._clock()
        states = self._states
        while states:  # forget keys idle long enough to be full again, oldest first
            first = next(iter(states.values()))
            if first[1] > now:
                break
            states.popitem(last=False)
        key = f"{policy.name}:{subject}"
        state = states.get(key)
        debts: Sequence[int]
        if state is None:  # every bucket full: the answer worked out once (gcra.Policy.first)
            answer, debts, idle_from = policy.first, policy.intervals, now + policy.first_full_again_us
        else:
            allowed, debts = step(policy, state[2:], now - state[0])
            answer = decision(policy, allowed, debts)
            if not allowed:
                return answer  # a refused request costs nothing
            # full again once the slowest tier has worked off its debt (debt / limit microseconds)
            idle_from = now + max(-(-debt // limit) for debt, limit in zip(debts, policy.limits, strict=True))
        states[key] = [now, idle_from, *debts]
        states.move_to_end(key)
        if len(states) > self._max_keys:
            states.popitem(last=False)
        return answer

    async def aclose(self) -> None:
        self._states.clear()
