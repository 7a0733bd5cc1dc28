"""GET /health and GET /ready."""

from __future__ import annotations

from msgspec import Struct


class HealthResponse(Struct, kw_only=True):
    status: str = "ok"


class ReadinessChecks(Struct, kw_only=True):
    database: str
    migrations: str
    broker: str
    providers: list[str]


class ReadinessResponse(Struct, kw_only=True):
    status: str
    checks: ReadinessChecks
