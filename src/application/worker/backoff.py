"""Exponential backoff with full jitter (https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/).

Full jitter spreads the retries of many rows that failed together (a receiver that was down for a minute)
over the whole window instead of having them all come back at the same instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

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
