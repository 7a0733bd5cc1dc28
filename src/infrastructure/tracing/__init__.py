"""OpenTelemetry tracing, off unless an OTLP endpoint is configured (`PAYMENTS_OTEL_ENDPOINT` or the standard
`OTEL_EXPORTER_OTLP_ENDPOINT`).

Off, nothing of OpenTelemetry is imported or installed: `build_tracing` answers `TRACING_OFF`, whose hooks hand
back what they are given. On, `otel.OtelTracing` owns the tracer provider and installs the instrumentations
(ASGI around the app, HTTPX on our clients, asyncpg, SQLAlchemy on our engine); the composition root calls the
hooks and the app factory wraps the app. This module imports nothing heavy.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports.tracing import NoTracing, Tracing


class ProcessTracing(Tracing, Protocol):
    """The application's Tracing port plus what only the composition root and the app factory call."""

    def instrument_client(self, client: httpx.AsyncClient) -> httpx.AsyncClient: ...

    def instrument_engine(self, engine: AsyncEngine) -> AsyncEngine: ...

    def asgi(self, app: Any) -> Any:
        """`app` wrapped in the server span of each request (or `app` itself when off)."""
        ...

    def shutdown(self) -> None:
        """Sends what is buffered and removes what was installed."""
        ...


class TracingOff(NoTracing):
    """Installs nothing: every hook returns its argument unchanged, so tracing off costs nothing."""

    def instrument_client(self, client: httpx.AsyncClient) -> httpx.AsyncClient:
        return client

    def instrument_engine(self, engine: AsyncEngine) -> AsyncEngine:
        return engine

    def asgi(self, app: Any) -> Any:
        return app

    def shutdown(self) -> None:
        pass


TRACING_OFF = TracingOff()


def build_tracing(endpoint: str | None) -> ProcessTracing:
    """Spans exported over OTLP/HTTP to `<endpoint>/v1/traces`, or `TRACING_OFF` without an endpoint."""
    if endpoint is None:
        return TRACING_OFF
    from infrastructure.tracing.otel import OtelTracing  # imported only when tracing is on

    return OtelTracing.exporting_to(endpoint)


__all__ = ["TRACING_OFF", "ProcessTracing", "TracingOff", "build_tracing"]
