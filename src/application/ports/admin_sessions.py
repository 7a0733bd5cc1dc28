"""Admin console sessions, kept server-side so that signing out (or revoking the key) ends them at once."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.data.admin_sessions import AdminSession
from application.data.api_keys import Caller


class AdminSessionStore(Protocol):
    async def start(self, token: str, caller: Caller, raw_key: str, csrf_token: str, now: datetime) -> None:
        """Stores a new session under the digest of `token` (and of the key, never the key itself)."""
        ...

    async def find(self, token: str, now: datetime) -> AdminSession | None:
        """The session if it was seen within the idle limit (8 hours) and its key is not revoked; marks it seen (at most once a
        minute, so reading pages costs no write each time)."""
        ...

    async def end(self, token: str) -> None: ...

    def forget_remembered(self) -> None:
        """Drops sessions remembered in memory (after a key was revoked here, so its sessions end at once)."""
        ...
