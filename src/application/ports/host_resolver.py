"""Looks host names up, for the callback-destination check (application/callback_destinations.py)."""

from __future__ import annotations

from typing import Protocol


class HostResolver(Protocol):
    async def resolve(self, host: str) -> tuple[str, ...]:
        """Every address `host` resolves to, as the system resolver answers the HTTP client; () when the name
        does not resolve, or not within the adapter's short deadline."""
        ...
