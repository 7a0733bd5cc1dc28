"""Per-key rate limits (GCRA, several tiers at once): in memory, or shared through Redis."""

from __future__ import annotations

from infrastructure.rate_limit.gcra import Decision, Policy, Tier
from infrastructure.rate_limit.limiter import RateLimiter
from infrastructure.rate_limit.memory import InMemoryRateLimiter
from infrastructure.rate_limit.redis_limiter import RedisRateLimiter


def build_rate_limiter(redis_url: str | None) -> RateLimiter:
    """Redis when PAYMENTS_REDIS_URL is set (limits shared by every process), else this process's memory."""
    return RedisRateLimiter(redis_url) if redis_url else InMemoryRateLimiter()


__all__ = ["Decision", "InMemoryRateLimiter", "Policy", "RateLimiter", "RedisRateLimiter", "Tier", "build_rate_limiter"]
