"""The retry schedule: base * 2^(attempts-1), full jitter, a one-second floor and a six-hour cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.worker.backoff import MAX_DELAY, MIN_DELAY, backoff_delay


@pytest.mark.parametrize(("attempts", "expected_seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (10, 30 * 2**9)])
def test_the_top_of_the_range_doubles_with_each_attempt(attempts: int, expected_seconds: int) -> None:
    assert backoff_delay(attempts, 30, lambda: 1.0) == timedelta(seconds=expected_seconds)


def test_jitter_scales_the_whole_range() -> None:
    assert backoff_delay(3, 30, lambda: 0.5) == timedelta(seconds=60)


def test_never_less_than_a_second_so_a_failing_row_never_spins() -> None:
    assert backoff_delay(1, 30, lambda: 0.0) == MIN_DELAY


@pytest.mark.parametrize("attempts", [11, 50, 10_000])
def test_capped_at_six_hours_however_many_attempts(attempts: int) -> None:
    assert backoff_delay(attempts, 30, lambda: 1.0) == MAX_DELAY == timedelta(hours=6)


def test_attempts_below_one_count_as_the_first() -> None:
    assert backoff_delay(0, 30, lambda: 1.0) == timedelta(seconds=30)
