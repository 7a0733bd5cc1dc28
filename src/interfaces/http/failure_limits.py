"""A per-client-IP budget for failed authentication: requests without a usable API key (401) and webhooks whose
signature does not verify (400 invalid-signature), PAYMENTS_IP_RATE_LIMIT_PER_MINUTE each minute per client IP
(client_ip.py), shared by every process through Redis when PAYMENTS_REDIS_URL is set (the same limiter as the
per-key limits).

Only failures are counted, and only failures are refused: a request with a good key or a correctly signed webhook
never consults this budget, so a key-guessing or forged-webhook flood is answered `429 rate-limited` (with
`Retry-After`) once over budget, while good callers, even behind the same address, go on as before. A failure is
counted once per request, however many guards (or the status fast path, then the route's guard) see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interfaces.http.client_ip import client_ip
from interfaces.http.rate_limiting import too_many

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

    from infrastructure.rate_limit import Decision
    from interfaces.http.rate_limiting import RateLimits

_DECISION = "failure_limit"


async def count_failure(connection: ASGIConnection[Any, Any, Any, Any], what: str) -> None:
    """Counts one failed authentication (`what`: for the problem's detail) against the client's address;
    raises 429 (TooManyRequestsException) when the address is over its budget, else returns for the caller to
    answer the failure as usual."""
    state = connection.scope.setdefault("state", {})
    decision: Decision | None = state.get(_DECISION)
    if decision is None:
        limits: RateLimits = connection.app.state.rate_limits
        address = client_ip(connection.scope, limits.trusted_proxies)
        decision = state[_DECISION] = await limits.limiter.check(limits.failures, address)
    if not decision.allowed:
        raise too_many(decision, f"Too many {what} from this address")
