"""GCRA (the generic cell rate algorithm) for several tiers at once, in exact integer arithmetic.

A tier of `limit` requests per `window` seconds is a bucket that holds `limit` requests and refills
continuously at `limit` per `window`: a key may send `limit` requests at once, then one more every
`window / limit` seconds. GCRA keeps one number per tier instead of a count of tokens: the *debt*, how far the
bucket is from full, as time. A request costs one emission interval `window / limit`; it is admitted when the
debt after paying stays within `window`. A request is admitted only when every tier admits it, and only an
admitted request is paid for in every tier (a refused request costs nothing).

To stay exact (no float drift that would admit `limit + 1` or refuse the `limit`-th request), time is in
integer microseconds and each tier's debt is scaled by its `limit`: the interval `window / limit` becomes the
integer `window_us`, and the ceiling `window` becomes `window_us * limit`. The largest value this produces
(60 000 000 µs times 60 000 000 requests, the settings' maxima) stays below 2**53, so the Redis script's Lua
doubles compute the same integers as Python does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class Tier:
    limit: int  # requests …
    window_seconds: int  # … per this many seconds

    @property
    def window_us(self) -> int:
        return self.window_seconds * MICROS


class Policy:
    """Named tiers checked together, e.g. the API's `50;w=1, 1500;w=60`. The name keeps keys of different
    policies apart in the limiter's store."""

    __slots__ = ("first", "first_full_again_us", "header", "intervals", "limits", "name", "steps", "tiers")

    def __init__(self, name: str, tiers: Sequence[Tier]) -> None:
        if not tiers or any(t.limit < 1 or t.window_seconds < 1 for t in tiers):
            raise ValueError("a policy needs tiers with a limit and a window of at least 1")
        self.name, self.tiers = name, tuple(tiers)
        self.limits = tuple(t.limit for t in self.tiers)
        self.intervals = tuple(t.window_us for t in self.tiers)  # each tier's emission interval, scaled
        # (scaled interval, limit, scaled ceiling: the debt a tier may carry) per tier, for the hot loop
        self.steps = tuple((t.window_us, t.limit, t.window_us * t.limit) for t in self.tiers)
        # RateLimit-Policy (IETF draft): every tier as "limit;w=window"
        self.header = ", ".join(f"{t.limit};w={t.window_seconds}" for t in self.tiers)
        # A key met with every bucket full (never seen, or forgotten once full again: the usual case for a key
        # sending less than a request per interval) always gets the same answer, worked out once: admitted, each
        # tier owing one interval, full again once the slowest has worked it off.
        self.first = decision(self, True, self.intervals)
        self.first_full_again_us = max(
            -(-interval // limit) for interval, limit in zip(self.intervals, self.limits, strict=True)
        )


class Decision(NamedTuple):
    """The answer for one request, with what the RateLimit-* headers report: the tier closest to refusing."""

    allowed: bool
    limit: int
    remaining: int  # requests admissible right now after this one
    reset_seconds: int  # until the reported tier is back to its full `limit`
    retry_after_seconds: int  # 0 when allowed; else whole seconds (at least 1) until this request fits
    policy: str


def step(policy: Policy, stored: Sequence[int], elapsed_us: int) -> tuple[bool, list[int]]:
    """One check: each tier's debt `elapsed_us` after it was `stored` (a key met with every bucket full gets
    `Policy.first` instead) and whether every tier admits the request. Returns the debts after paying when
    admitted, else unchanged."""
    if elapsed_us < 0:
        elapsed_us = 0  # a clock that stepped back forgives nothing
    # elapsed is capped by the window before scaling: beyond it the bucket is full anyway, and the
    # product stays below 2**53 in Lua
    debts = []
    for (interval, limit, _), debt in zip(policy.steps, stored, strict=True):
        debt -= (elapsed_us if elapsed_us < interval else interval) * limit
        debts.append(debt if debt > 0 else 0)
    for (interval, _, ceiling), debt in zip(policy.steps, debts, strict=True):
        if debt + interval > ceiling:
            return False, debts
    return True, [debt + interval for (interval, _, _), debt in zip(policy.steps, debts, strict=True)]


def decision(policy: Policy, allowed: bool, debts: Sequence[int]) -> Decision:
    """The decision from the debts after the request (after paying when allowed; unchanged when refused)."""
    best_remaining = best_refill = -1
    limit_reported = 0
    retry_us = 0
    for (interval, limit, ceiling), debt in zip(policy.steps, debts, strict=True):
        remaining = (ceiling - debt) // interval if debt < ceiling else 0
        refill = -(-debt // limit)  # µs until this tier is full again
        # report the tier with the fewest requests left; on a tie, the one that takes longer to refill, so a
        # client that waits for Reset finds the whole quota back
        if best_remaining < 0 or remaining < best_remaining or (remaining == best_remaining and refill > best_refill):
            best_remaining, best_refill, limit_reported = remaining, refill, limit
        if not allowed and debt + interval > ceiling:
            retry_us = max(retry_us, -(-(debt + interval - ceiling) // limit))
    return Decision(
        allowed,
        limit_reported,
        best_remaining,
        -(-best_refill // MICROS),
        0 if allowed else max(1, -(-retry_us // MICROS)),
        policy.header,
    )
