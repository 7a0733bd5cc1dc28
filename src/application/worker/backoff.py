"""How failed work is retried: exponential backoff with full jitter, up to a maximum age. The one place the
defaults live (settings read them from here).

Full jitter (https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/) spreads the
retries of many rows that failed together (a receiver that was down for a minute) over the whole window instead
of having them all come back at the same instant.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

DEFAULT_RETRY_BASE_SECONDS = 30
DEFAULT_RETRY_MAX_AGE_SECONDS = 3 * 86400  # providers retry for about 3 days; so do we
MAX_DELAY = timedelta(hours=6)
MIN_DELAY = timedelta(seconds=1)  # full jitter may draw ~0: never spin on a failing row


def backoff_delay(
    attempts: int, base_seconds: int, random: Callable[[], float], cap: timedelta = MAX_DELAY
) -> timedelta:
    """The wait before the next try after `attempts` failed tries (≥ 1): uniform in
    [0, min(cap, base * 2^(attempts-1))], never less than a second."""
    exponent = max(0, attempts - 1)
    # clamp the exponent first: 2**attempts for a row that failed for days would be a huge int for nothing
    ceiling = min(cap.total_seconds(), base_seconds * 2 ** min(exponent, 32))
    return max(MIN_DELAY, timedelta(seconds=ceiling * random()))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """PAYMENTS_RETRY_BASE_SECONDS and PAYMENTS_RETRY_MAX_AGE_SECONDS: order callbacks, outbox relays and
    failed webhooks all back off by it. `random` is the jitter's source (tests pin it)."""

    base_seconds: int = DEFAULT_RETRY_BASE_SECONDS
    max_age_seconds: int = DEFAULT_RETRY_MAX_AGE_SECONDS
    random: Callable[[], float] = field(default=_random.random, compare=False)

    @property
    def max_age(self) -> timedelta:
        return timedelta(seconds=self.max_age_seconds)

    def delay(self, attempts: int, cap: timedelta = MAX_DELAY) -> timedelta:
        return backoff_delay(attempts, self.base_seconds, self.random, cap)
