"""A response stored under an Idempotency-Key, replayed to a repeated request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str
    location: str | None = None
