"""A per-provider circuit breaker: after N consecutive failures (timeouts, 5xx, unreachable) the provider is
skipped for new checkouts until `reset_after` seconds pass; then one trial call decides (half-open).

A provider's 4xx is not a failure here: it answered, so it is up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int = 5, reset_after: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold, self._reset_after, self._now = failure_threshold, reset_after, monotonic
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Open means: skip this provider. Past the reset time it lets calls through again (half-open)."""
        return self._opened_at is not None and self._now() - self._opened_at < self._reset_after

    @property
    def retry_after(self) -> int:
        if self._opened_at is None:
            return 0
        return max(1, math.ceil(self._reset_after - (self._now() - self._opened_at)))

    def record_success(self) -> None:
        self._failures, self._opened_at = 0, None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold or self._opened_at is not None:  # a failed trial re-opens at once
            self._opened_at = self._now()
