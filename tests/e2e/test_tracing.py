"""OpenTelemetry tracing over real HTTP, on SQLite and Postgres, with the SDK's in-memory exporter: real spans
from the real instrumentations, and the `traceparent` that a provider and an order system really received.

- a checkout: the caller's trace → the server span → the HTTPX span of the provider call → the provider's
  `traceparent`;
- a webhook: the server span (with the transaction's statements on Postgres) → the outbox row → the worker's
  `outbox.relay` span → `callback.deliver` → the HTTPX span → the order system's `traceparent`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from infrastructure.container import Container
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.signing import sign
from infrastructure.tracing.otel import OtelTracing
from interfaces.http.request_context import RequestContextFilter
from interfaces.http.request_observation import ACCESS_LOGGER
from tests.e2e.conftest import WEBHOOK_SECRET, serve
from tests.provider_fakes.paystack import SECRET_KEY, FakePaystack
from tests.provider_fakes.server import running

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLBACK_SECRET = "cb_secret_e2e_tracing_" + "7" * 16


class HeaderRecorder:
    """In front of a fake (or as a bare receiver): keeps every request's path and headers, then answers."""

    def __init__(self, app: Any = None) -> None:
        self.app = app
        self.requests: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] != "/__health":
            self.requests.append((scope["path"], {k.decode().lower(): v.decode() for k, v in scope["headers"]}))
        if self.app is not None:
            return await self.app(scope, receive, send)
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return None

    def traceparents(self, path_prefix: str) -> list[str]:
        return [h["traceparent"] for path, h in self.requests if path.startswith(path_prefix) and "traceparent" in h]


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def traced(exporter: InMemorySpanExporter) -> Callable[[Container], None]:
    """The composition root with tracing on, its spans kept in memory instead of sent over OTLP."""

    def customize(container: Container) -> None:
        container.tracing.override(providers.Object(OtelTracing(SimpleSpanProcessor(exporter))))

    return customize


def hex_id(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def parent_of(span: ReadableSpan) -> str | None:
    return hex_id(span.parent.span_id, 16) if span.parent else None


def span_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return hex_id(span.context.span_id, 16)


def trace_of(span: ReadableSpan) -> str:
    assert span.context is not None
    return hex_id(span.context.trace_id, 32)


def only(spans: list[ReadableSpan], where: Callable[[ReadableSpan], bool]) -> ReadableSpan:
    [found] = [s for s in spans if where(s)]
    return found


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_checkout_is_one_trace_from_the_caller_to_the_provider_call(
    database_url: str, api_keys: dict[str, str], exporter: InMemorySpanExporter
) -> None:
    paystack = HeaderRecorder(FakePaystack())
    with running(paystack) as paystack_url:
        for s in serve(
            database_url,
            api_keys,
            customize=traced(exporter),
            providers=("paystack",),
            paystack=PaystackConfig(secret_keys=(SECRET_KEY,), api_base=paystack_url),
        ):
            created = s.post(
                "/api/v1/orders/order-traced/checkout",
                key="orders",
                json={"amount": 10_000, "currency": "NGN", "provider": "paystack"},
                headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"},
            )
            assert created.status_code == 201, created.text

    spans = [s for s in exporter.get_finished_spans() if trace_of(s) == CALLER_TRACE]
    server = only(spans, lambda s: s.kind is SpanKind.SERVER)
    assert server.name == "POST /api/v1/orders/{order_id}/checkout"  # the template, never the order id
    assert parent_of(server) == CALLER_SPAN
    call = only(spans, lambda s: s.kind is SpanKind.CLIENT and s.name.startswith("POST"))
    assert parent_of(call) == span_id(server)
    [sent] = paystack.traceparents("/transaction/initialize")
    assert sent == f"00-{CALLER_TRACE}-{span_id(call)}-01"  # the provider continues our client span


def test_a_webhook_is_one_trace_through_the_transaction_the_relay_and_the_order_callback(
    database_url: str, api_keys: dict[str, str], exporter: InMemorySpanExporter
) -> None:
    receiver = HeaderRecorder()
    with running(receiver) as receiver_url:
        for s in serve(
            database_url, api_keys, customize=traced(exporter), run_worker=True, callback_secret=CALLBACK_SECRET
        ):
            created = s.checkout("order-traced-webhook", callback_url=receiver_url + "/payment-events")
            assert created.status_code == 201, created.text
            pay = {"payment_id": created.json()["id"], "amount": 5000, "currency": "USD"}
            body = json.dumps(
                {"id": "evt_traced", "type": "payment.succeeded", "created": int(time.time()), "data": pay}
            )
            headers = {
                "Content-Type": "application/json",
                "Simulator-Signature": sign(WEBHOOK_SECRET, body.encode(), int(time.time())),
                "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
            }
            assert s.http.post("/api/v1/webhooks/simulator", content=body, headers=headers).status_code == 200
            wait_for(lambda: bool(receiver.traceparents("/payment-events")))

    everything = exporter.get_finished_spans()
    # the worker polled the database while idle, the scrape-free server pinged it: no statement is a trace alone
    assert [s.name for s in everything if s.kind is SpanKind.CLIENT and s.parent is None] == []
    spans = [s for s in everything if trace_of(s) == CALLER_TRACE]
    server = only(spans, lambda s: s.kind is SpanKind.SERVER)
    assert (server.name, parent_of(server)) == ("POST /api/v1/webhooks/{provider}", CALLER_SPAN)
    if "postgresql" in database_url:  # the transaction's statements (asyncpg), under the request
        statements = [s for s in spans if s.attributes and s.attributes.get("db.system") == "postgresql"]
        # a span is named by its statement's first word: `COMMIT; BEGIN` (the next transaction opened with this
        # one's commit, begun_ahead.py) is "COMMIT;"; the BEGIN may have gone out with an earlier request's commit
        names = {s.name.rstrip(";") for s in statements if parent_of(s) == span_id(server)}
        assert {"WITH", "COMMIT"} <= names
    relay = only(spans, lambda s: s.name == "outbox.relay")
    assert parent_of(relay) == span_id(server)
    deliver = only(spans, lambda s: s.name == "callback.deliver")
    assert parent_of(deliver) == span_id(relay)
    if "postgresql" in database_url:  # the relay's statements belong to the trace too
        assert any(parent_of(s) == span_id(relay) for s in statements)
    post = only(spans, lambda s: s.name == "POST" and s.kind is SpanKind.CLIENT and parent_of(s) == span_id(deliver))
    [sent] = receiver.traceparents("/payment-events")
    assert sent == f"00-{CALLER_TRACE}-{span_id(post)}-01"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestContextFilter())  # what configure_logging installs: request and trace ids

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_requests_log_lines_carry_its_trace_id_even_when_the_caller_sent_none(
    sqlite: str, api_keys: dict[str, str], exporter: InMemorySpanExporter
) -> None:
    access, records = logging.getLogger(ACCESS_LOGGER), Records()
    level = access.level
    access.addHandler(records)
    access.setLevel(logging.INFO)
    try:
        for s in serve(sqlite, api_keys, customize=traced(exporter)):
            assert s.checkout("order-logged").status_code == 201
    finally:
        access.removeHandler(records)
        access.setLevel(level)

    server = only(exporter.get_finished_spans(), lambda s: s.name == "POST /api/v1/orders/{order_id}/checkout")
    [logged] = [r for r in records.records if getattr(r, "route", None) == "/api/v1/orders/{order_id}/checkout"]
    assert logged.trace_id == trace_of(server)  # type: ignore[attr-defined]
