"""API keys: stored hashed, shown once, compared in constant time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

SCOPES = ("payments:write", "payments:read", "refunds:write", "admin")


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated API key. `admin` implies every scope."""

    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    prefix: str  # the first characters of the key, enough to recognise it, never enough to use it


class ApiKeyStore(Protocol):
    async def authenticate(self, raw_key: str) -> Caller | None:
        """The caller for a key that exists and is not revoked."""
        ...

    async def create(self, name: str, scopes: tuple[str, ...], now: datetime) -> tuple[ApiKeyInfo, str]:
        """Returns the key's info and the raw key, which is never stored and cannot be shown again."""
        ...

    async def list(self) -> list[ApiKeyInfo]: ...

    async def revoke(self, name_or_id: str, now: datetime) -> bool: ...
