"""Tracing on: one tracer provider per process, spans batched to OTLP/HTTP, the instrumentations installed.

- **ASGI** (`asgi`): the server span of each request, continuing the caller's `traceparent`; named after the
  route template once Litestar has matched it (`POST /api/v1/webhooks/{provider}`), never the raw path; its
  trace id is the one the request's log lines carry. /health, /ready and /metrics are not traced.
- **HTTPX** (`instrument_client`, on our clients only): a client span per provider call and order callback,
  which sends `traceparent` to the provider or the order system.
- **asyncpg** (class-wide while tracing is on) and **SQLAlchemy** (`instrument_engine`, our engine): a span per
  statement. Statement parameters are never recorded (they hold customer data).
- **Across the outbox** (`current`, `continued`): the application stores the `traceparent` with its outbox
  rows and notifications, and the worker continues the trace from it.

Every instrument is given this provider rather than the global one, so a second provider (a test's) never
mixes with this one. Its sampler (sampling.py) starts no trace for a database statement on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.build_info import service_version
from infrastructure.tracing.sampling import sampler

SERVICE_NAME = "payments"
TRACES_PATH = "/v1/traces"
# regular expressions searched in the URL: probes and scrapes are not worth a trace
UNTRACED_URLS = "/health$,/ready$,/metrics$"
_TRACEPARENT = "traceparent"
_TRACEPARENT_HEADER = b"traceparent"


class OtelTracing:
    def __init__(self, processor: SpanProcessor) -> None:
        resource = Resource.create({"service.name": SERVICE_NAME, "service.version": service_version()})
        self.provider = TracerProvider(resource=resource, sampler=sampler())
        self.provider.add_span_processor(processor)
        self._tracer = self.provider.get_tracer("payments")
        self._propagator = TraceContextTextMapPropagator()
        self._asyncpg = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
        self._asyncpg.instrument(tracer_provider=self.provider)
        self._sqlalchemy: SQLAlchemyInstrumentor | None = None

    @classmethod
    def exporting_to(cls, endpoint: str) -> OtelTracing:
        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + TRACES_PATH)
        return cls(BatchSpanProcessor(exporter))

    # ---- the application's port -------------------------------------------------------------------------
    def current(self) -> str | None:
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier)
        return carrier.get(_TRACEPARENT)

    def continued(self, name: str, traceparent: str | None) -> AbstractContextManager[None]:
        return self._continued(name, traceparent)

    @contextmanager
    def _continued(self, name: str, traceparent: str | None) -> Iterator[None]:
        parent = self._propagator.extract({_TRACEPARENT: traceparent}) if traceparent else None
        with self._tracer.start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER):
            yield

    # ---- the composition root's hooks -------------------------------------------------------------------
    def instrument_client(self, client: httpx.AsyncClient) -> httpx.AsyncClient:
        if not getattr(client, "_is_instrumented_by_opentelemetry", False):  # the shared client may come twice
            HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)
        return client

    def instrument_engine(self, engine: AsyncEngine) -> AsyncEngine:
        if self._sqlalchemy is None:
            self._sqlalchemy = SQLAlchemyInstrumentor()
            # its declared range stops below SQLAlchemy 2.1, whose engine events it uses are unchanged
            self._sqlalchemy.instrument(engine=engine.sync_engine, tracer_provider=self.provider, skip_dep_check=True)
        return engine

    def asgi(self, app: Any) -> Any:
        return OpenTelemetryMiddleware(
            _InTheServerSpan(app, self.current),
            excluded_urls=UNTRACED_URLS,
            default_span_details=_method_only,
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
        )

    def shutdown(self) -> None:
        self._asyncpg.uninstrument()
        if self._sqlalchemy is not None:
            self._sqlalchemy.uninstrument()
            self._sqlalchemy = None
        self.provider.shutdown()  # flushes the batch


def _method_only(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The name a request's span starts with: the raw path would carry ids (one name per payment)."""
    return str(scope.get("method") or "HTTP"), {}


class _InTheServerSpan:
    """Inside the server span, around the app:

    - the request reaches the app carrying the server span's `traceparent` (replacing the caller's, whose trace
      it continues), so the request context's trace id, printed on every log line of the request, is the
      trace's even when the caller sent none;
    - when the response starts (routing is done; the span ends with the last body message), the span is named
      after the route template Litestar wrote into the scope (absent on 404s and 405s: the method alone).
    """

    def __init__(self, app: Any, traceparent: Callable[[], str | None]) -> None:
        self._app, self._traceparent = app, traceparent

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        ours = self._traceparent()
        if ours is not None:
            headers = [(name, value) for name, value in scope["headers"] if name != _TRACEPARENT_HEADER]
            scope["headers"] = [*headers, (_TRACEPARENT_HEADER, ours.encode())]

        async def named_send(message: dict[str, Any]) -> None:
            template = scope.get("path_template")
            if message["type"] == "http.response.start" and template:
                span = trace.get_current_span()
                span.update_name(f"{scope.get('method', 'HTTP')} {template}")
                span.set_attribute("http.route", template)
            await send(message)

        await self._app(scope, receive, named_send)
