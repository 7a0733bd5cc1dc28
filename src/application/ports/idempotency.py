"""Stripe-style Idempotency-Key storage, per API key, kept 24 hours."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.data.idempotency import StoredResponse


class IdempotencyStore(Protocol):
    async def begin(self, owner: str, key: str, fingerprint: str, now: datetime) -> StoredResponse | None:
        """Claims the key for this request (None: go ahead) or returns the stored response to replay.
        Raises IdempotencyKeyReuse for a different fingerprint, IdempotencyKeyInUse while the first runs.
        Keys older than 24 hours count as unused."""
        ...

    async def complete(self, owner: str, key: str, response: StoredResponse, now: datetime) -> None: ...

    async def release(self, owner: str, key: str) -> None:
        """Forgets a claim whose request failed with a server error, so the client may retry it."""
        ...
