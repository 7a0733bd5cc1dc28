"""Rate limits on HTTP routes: per API key on the API, per provider on webhooks, with the IETF RateLimit headers.

Limits are checked in guards, which run after routing and before the body is read:

- `requires(scope)` (auth.py) calls `limit_caller` right after it has authenticated the key, so the API limit
  is per key (its unique name), costs no lookup of its own, and requests that fail authentication are not
  counted against anyone. /health, /ready, /metrics, /schema and the simulator pages have no such guard.
- webhook routes carry the `limit_webhooks` guard, keyed by the provider named in the path (names that are
  not enabled providers share one bucket, so made-up names cannot crowd out real ones).

A refused request raises `TooManyRequestsException` before the handler runs, so it changes nothing; the
problem mapping answers `429 rate-limited` with `Retry-After`. The decision stays in the ASGI scope's state,
where the edge middleware (edge.py) finds it to add `RateLimit-Limit`, `-Remaining`, `-Reset`
and `-Policy` to the response, successful or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.exceptions import TooManyRequestsException

from infrastructure.rate_limit import Decision, Policy, RateLimiter, Tier
from interfaces.http.client_ip import trusted_networks

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from application.data.api_keys import Caller
    from infrastructure.settings import Settings

_DECISION = "rate_limit"
UNKNOWN_PROVIDER = "(unknown)"


class RateLimits:
    """The service's two policies over one limiter; kept in the app's state as `rate_limits`."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.api = Policy("api", (Tier(settings.rate_limit_per_second, 1), Tier(settings.rate_limit_per_minute, 60)))
        self.webhooks = Policy("webhook", (Tier(settings.webhook_rate_limit_per_second, 1),))
        # failed authentication per client IP (failure_limits.py), its address read through trusted proxies
        self.failures = Policy("ip", (Tier(settings.ip_rate_limit_per_minute, 60),))
        self.trusted_proxies = trusted_networks(settings.trusted_proxies)
        self._providers = frozenset(settings.providers)

    def provider_subject(self, provider: str) -> str:
        return provider if provider in self._providers else UNKNOWN_PROVIDER


async def limit_caller(connection: ASGIConnection[Any, Any, Any, Any], caller: Caller) -> None:
    """Counts one request against the caller's key; raises 429 when over. Counted once per request, however
    many guards (or the status fast path, then the route's guard) ask; a refusal is raised to every asker."""
    state = connection.scope.setdefault("state", {})
    decision: Decision | None = state.get(_DECISION)
    if decision is None:
        limits: RateLimits = connection.app.state.rate_limits
        decision = state[_DECISION] = await limits.limiter.check(limits.api, caller.name)
    if not decision.allowed:
        raise too_many(decision, f"The API key {caller.name!r} sent too many requests")


async def limit_webhooks(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The webhook routes' guard: counts one delivery against the provider in the path."""
    limits: RateLimits = connection.app.state.rate_limits
    subject = limits.provider_subject(str(connection.path_params.get("provider", "")))
    decision = await limits.limiter.check(limits.webhooks, subject)
    connection.scope.setdefault("state", {})[_DECISION] = decision
    if not decision.allowed:
        raise too_many(decision, f"Too many webhooks for provider {subject!r}")


def too_many(decision: Decision, who: str) -> TooManyRequestsException:
    retry_after = str(decision.retry_after_seconds)
    return TooManyRequestsException(
        f"{who} (limits: {decision.policy}, as requests;w=seconds); retry after {retry_after} s.",
        headers={"Retry-After": retry_after},
    )


def rate_limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_seconds).encode()),
        (b"ratelimit-policy", decision.policy.encode()),
    ]


def decision_headers(state: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The RateLimit-* headers of the decision a guard left in the request's state; none if no guard decided."""
    decision: Decision | None = state.get(_DECISION)
    return rate_limit_headers(decision) if decision is not None else []
