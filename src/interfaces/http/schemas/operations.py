"""GET /health and GET /ready."""

from __future__ import annotations

from msgspec import Struct


class HealthResponse(Struct, kw_only=True):
    status: str = "ok"


class ReadinessChecks(Struct, kw_only=True):
    """Each check is "ok" or says what is wrong ("failed: …", "not at head (…)"); the broker may be "not
    configured". `providers` maps each enabled provider, in routing order, to "ok", "failed: …" (its
    configuration is incomplete: not ready) or "circuit open, retry in N s" (reported only: still ready)."""

    database: str
    migrations: str
    broker: str
    providers: dict[str, str]


class ReadinessResponse(Struct, kw_only=True):
    status: str
    checks: ReadinessChecks
