"""API keys: stored hashed, shown once, compared in constant time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.data.api_keys import ApiKeyInfo, Caller


class ApiKeyStore(Protocol):
    async def authenticate(self, raw_key: str) -> Caller | None:
        """The caller for a key that exists and is not revoked."""
        ...

    async def create(self, name: str, scopes: tuple[str, ...], now: datetime) -> tuple[ApiKeyInfo, str]:
        """Returns the key's info and the raw key, which is never stored and cannot be shown again."""
        ...

    async def list(self) -> list[ApiKeyInfo]: ...

    async def revoke(self, name_or_id: str, now: datetime) -> bool: ...
