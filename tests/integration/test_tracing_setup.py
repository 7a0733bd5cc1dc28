"""Tracing's switch and its export: off, nothing is installed and no tracing module is even imported; on, spans reach
`<endpoint>/v1/traces` over OTLP/HTTP (a local receiver); the endpoint comes from our variable or the standard one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.tracing import TRACING_OFF, build_tracing
from infrastructure.tracing.config import otel_endpoint
from tests.e2e.test_tracing import HeaderRecorder
from tests.provider_fakes.server import running

ROOT = Path(__file__).resolve().parents[2]

NOTHING_INSTALLED = """
import sys
import asyncpg
from infrastructure.container import build_container
from infrastructure.settings import Settings
from infrastructure.tracing import TRACING_OFF
from interfaces.http.app import create_app
from interfaces.http.edge import EdgeMiddleware

settings = Settings(database_url="sqlite+aiosqlite:///" + sys.argv[1])
container = build_container(settings)
app = create_app(settings, container, run_worker=True)
container.bus(), container.engine(), container.callback_http_client()
assert container.tracing() is TRACING_OFF
assert type(app.asgi_handler) is EdgeMiddleware, app.asgi_handler
assert not hasattr(container.http_client(), "_is_instrumented_by_opentelemetry")
assert not hasattr(asyncpg.connection.Connection.execute, "__wrapped__")
# (redis and Litestar import parts of OpenTelemetry's API when it is installed; the SDK's tracing, the exporter
# and the instrumentations we install are never loaded)
ours = ("opentelemetry.sdk.trace", "opentelemetry.exporter", "opentelemetry.instrumentation.httpx",
        "opentelemetry.instrumentation.asyncpg", "opentelemetry.instrumentation.sqlalchemy", "infrastructure.tracing.otel")
loaded = sorted(name for name in sys.modules if name.startswith(ours))
assert not loaded, loaded
print("nothing installed")
"""


def test_off_nothing_is_imported_or_installed(tmp_path: Path) -> None:
    """The cost of tracing off is nothing: no middleware, no wrapped client or driver, no tracing module loaded."""
    run = subprocess.run(
        [sys.executable, "-c", NOTHING_INSTALLED, str(tmp_path / "off.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "nothing installed"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"PAYMENTS_OTEL_ENDPOINT": "http://collector:4318/"}, "http://collector:4318"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example"}, "https://otel.example"),
        (
            {"PAYMENTS_OTEL_ENDPOINT": "http://ours:4318", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://standard:4318"},
            "http://ours:4318",
        ),
    ],
)
def test_the_endpoint_is_ours_first_then_the_standard_one(environ: dict[str, str], expected: str | None) -> None:
    assert otel_endpoint(environ) == (expected, [])


def test_a_malformed_endpoint_is_a_settings_problem() -> None:
    assert otel_endpoint({"PAYMENTS_OTEL_ENDPOINT": "collector:4318"}) == (
        None,
        ["PAYMENTS_OTEL_ENDPOINT must be a http/https URL, got 'collector:4318'"],
    )
    assert build_tracing(None) is TRACING_OFF


def test_on_spans_are_exported_to_the_endpoints_traces_path() -> None:
    collector = HeaderRecorder()
    with running(collector) as url:
        tracing = build_tracing(url)
        try:
            with tracing.continued("outbox.relay", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"):
                assert tracing.current() is not None
        finally:
            tracing.shutdown()  # sends the batch
    [(path, headers)] = collector.requests
    assert (path, headers["content-type"]) == ("/v1/traces", "application/x-protobuf")
