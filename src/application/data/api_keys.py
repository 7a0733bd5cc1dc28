"""Who is calling: API key scopes, the authenticated caller, a stored key's description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    last_used_at: datetime | None = None  # to the minute (written at most once a minute)
