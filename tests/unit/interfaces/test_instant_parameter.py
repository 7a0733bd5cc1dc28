"""`created_after` / `created_before`: RFC 3339 with an offset, or a 422 naming the parameter (never a 500)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from interfaces.http.errors import InvalidParameter
from interfaces.http.schemas.common import parse_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T00:00:00Z", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T02:30:00+02:30", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01t00:00:00.5z", datetime(2024, 5, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_an_rfc3339_time_with_an_offset_is_read_in_utc(text: str, expected: datetime) -> None:
    moment = parse_instant("created_after", text)
    assert moment == expected
    assert moment is not None
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("0.5", "must be an RFC 3339 date-time"),  # Litestar's own parsing reads numbers as Unix times
        ("1714521600", "must be an RFC 3339 date-time"),
        ("2024-05-01", "must be an RFC 3339 date-time"),
        ("", "must be an RFC 3339 date-time"),
        ("2024-05-01T00:00:00", "needs a UTC offset"),
        ("0001-01-01T00:00:00+01:00", "out of range"),  # before year 1 once in UTC: was an OverflowError
        ("9999-12-31T23:59:59-01:00", "out of range"),
        ("2026-01-01T00:00:00 00:00", "encode `+` as `%2B`"),  # `+00:00` sent unencoded: the `+` became a space
        ("2026-01-01T00:00:00 0200", "encode `+` as `%2B`"),
    ],
)
def test_anything_else_is_an_invalid_parameter(text: str, detail: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_instant("created_before", text)
    assert raised.value.name == "created_before"
    assert detail in raised.value.detail


def test_absent_stays_absent() -> None:
    assert parse_instant("created_after", None) is None
