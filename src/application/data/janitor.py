"""What the janitor's schedule hands out: a payment or refund due a question to its provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DueCheck:
    """A payment (refund_id None) or one of its refunds that is due a check. `checks`: how many were made."""

    payment_id: str
    checks: int
    refund_id: str | None = None
