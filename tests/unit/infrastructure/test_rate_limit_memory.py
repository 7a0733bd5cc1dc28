"""The in-memory GCRA limiter on an injected clock: burst tier, sustained tier, independent keys, eviction."""

from __future__ import annotations

from infrastructure.rate_limit import InMemoryRateLimiter, Policy, Tier
from infrastructure.rate_limit.gcra import decision, step

SECOND = 1_000_000  # the limiter's clock counts microseconds


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * SECOND

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += round(seconds * SECOND)


def api_policy(per_second: int = 5, per_minute: int = 12) -> Policy:
    return Policy("api", (Tier(per_second, 1), Tier(per_minute, 60)))


def admitted(limiter: InMemoryRateLimiter, policy: Policy, subject: str, attempts: int) -> int:
    return sum(limiter.check_now(policy, subject).allowed for _ in range(attempts))


def test_a_full_burst_is_admitted_then_the_next_request_waits_for_one_interval() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = api_policy(per_second=5, per_minute=1000)

    decisions = [limiter.check_now(policy, "orders") for _ in range(5)]
    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    assert decisions[-1].limit == 5
    assert decisions[-1].policy == "5;w=1, 1000;w=60"

    refused = limiter.check_now(policy, "orders")
    assert not refused.allowed
    assert refused.retry_after_seconds == 1  # one interval (0.2 s) away, in whole seconds, at least 1
    assert (refused.limit, refused.remaining, refused.reset_seconds) == (5, 0, 1)

    clock.advance(0.199)
    assert not limiter.check_now(policy, "orders").allowed  # a refused request costs nothing, but time is short
    clock.advance(0.001)
    assert limiter.check_now(policy, "orders").allowed  # exactly one interval later: exactly one more
    assert not limiter.check_now(policy, "orders").allowed


def test_retry_after_counts_whole_seconds_up_to_the_moment_the_request_fits() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = Policy("slow", (Tier(2, 10),))  # one request every 5 s, two at once

    assert admitted(limiter, policy, "k", 2) == 2
    refused = limiter.check_now(policy, "k")
    assert (refused.allowed, refused.retry_after_seconds, refused.reset_seconds) == (False, 5, 10)
    clock.advance(3.5)
    assert limiter.check_now(policy, "k").retry_after_seconds == 2  # 1.5 s left, rounded up
    clock.advance(1.5)
    assert limiter.check_now(policy, "k").allowed


def test_the_sustained_tier_refuses_once_bursts_have_used_up_the_minute() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = api_policy(per_second=5, per_minute=12)  # the minute tier refills one request every 5 s

    assert admitted(limiter, policy, "orders", 10) == 5
    clock.advance(1)  # the burst tier is full again …
    assert admitted(limiter, policy, "orders", 10) == 5
    clock.advance(1)
    # … but the minute tier has 12 - 10 + (2 s of refill = 0 whole requests) = 2 left
    assert admitted(limiter, policy, "orders", 10) == 2
    clock.advance(1)
    refused = limiter.check_now(policy, "orders")
    assert not refused.allowed
    assert (refused.limit, refused.remaining) == (12, 0)  # the headers report the tier that refuses
    assert refused.retry_after_seconds == 2  # the minute tier's next request is due 5 s after the start
    assert refused.reset_seconds == 60 - 3
    clock.advance(2)
    assert admitted(limiter, policy, "orders", 10) == 1  # the burst tier would allow 5; the minute tier one


def test_over_any_long_stretch_the_sustained_rate_holds_exactly() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = api_policy(per_second=5, per_minute=12)
    total = 0
    for _ in range(600):  # ten minutes of a client trying 10 requests every second
        total += admitted(limiter, policy, "greedy", 10)
        clock.advance(1)
    # a full minute bucket (12) at the start, then 12 per minute for the 599 s that followed: 12 + 119
    assert total == 12 + 599 // 5


def test_keys_and_policies_are_independent() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    api, webhooks = api_policy(per_second=2, per_minute=100), Policy("webhook", (Tier(3, 1),))

    assert admitted(limiter, api, "orders", 5) == 2
    assert admitted(limiter, api, "reporting", 5) == 2
    assert admitted(limiter, webhooks, "orders", 5) == 3  # the same subject under another policy
    assert admitted(limiter, webhooks, "stripe", 5) == 3
    assert not limiter.check_now(api, "orders").allowed


def test_idle_keys_are_forgotten_once_their_buckets_are_full_again() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = api_policy(per_second=5, per_minute=12)

    for key in ("a", "b", "c"):
        limiter.check_now(policy, key)
    assert len(limiter) == 3
    clock.advance(4.999)  # one request costs the minute tier 5 s of refill
    limiter.check_now(policy, "d")
    assert len(limiter) == 4
    clock.advance(0.001)
    limiter.check_now(policy, "d")
    assert len(limiter) == 1  # a, b and c are full again: nothing about them is worth keeping
    # and a forgotten key starts from a full bucket, as it would have anyway
    assert admitted(limiter, policy, "a", 10) == 5


def test_memory_stays_bounded_when_more_keys_are_live_than_allowed() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock, max_keys=100)
    policy = Policy("webhook", (Tier(1, 60),))

    for number in range(1_000):
        assert limiter.check_now(policy, f"k{number}").allowed
    assert len(limiter) == 100
    assert not limiter.check_now(policy, "k999").allowed  # the most recent keys are the ones kept
    assert limiter.check_now(policy, "k0").allowed  # the oldest was forgotten early (fails open for it)


def test_a_clock_that_steps_back_forgives_nothing() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = Policy("api", (Tier(2, 1),))
    assert admitted(limiter, policy, "k", 3) == 2
    clock.advance(-10)
    assert not limiter.check_now(policy, "k").allowed


def test_windows_that_do_not_divide_evenly_stay_exact() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    policy = Policy("sevens", (Tier(7, 1), Tier(70_001, 60)))  # intervals of 142 857.14… µs and 857.13… µs
    for _ in range(1_000):  # float arithmetic would drift into admitting 8 or refusing the 7th
        assert admitted(limiter, policy, "k", 9) == 7
        clock.advance(1)


def test_a_key_met_with_full_buckets_gets_the_answer_of_paying_from_full_buckets() -> None:
    """The first answer is worked out once per policy (Policy.first); it must be what the step from full gives."""
    clock = Clock()
    limiter = InMemoryRateLimiter(clock=clock)
    for policy in (api_policy(), Policy("sevens", (Tier(7, 1), Tier(70_001, 60))), Policy("one", (Tier(1, 60),))):
        allowed, debts = step(policy, [0] * len(policy.tiers), 0)

        assert limiter.check_now(policy, "new") == decision(policy, allowed, debts)
        clock.advance(3_600)  # forgotten, full again
        assert limiter.check_now(policy, "new") == decision(policy, allowed, debts)
