"""What the HTTP layer asks of a rate limiter. Rate limits are an HTTP concern, so this port lives beside its
adapters rather than in the application layer."""

from __future__ import annotations

from typing import Protocol

from infrastructure.rate_limit.gcra import Decision, Policy


class RateLimiter(Protocol):
    async def check(self, policy: Policy, subject: str) -> Decision:
        """Admit or refuse one request by `subject` (an API key's name, a provider) under `policy`; an admitted
        request is counted in every tier of the policy, a refused one in none."""
        ...

    async def aclose(self) -> None: ...
