"""The real `payments serve` process with JSON logs: one access line per request with its ids, templated route,
status and duration; uvicorn's own access log off; e-mail addresses only masked; API keys, provider secrets,
signature header values and raw webhook bodies nowhere in the output (stderr and stdout)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_processes import wait_until_healthy
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "orders-admin-" + secrets.token_hex(16)  # a configured key with no recognisable shape
UNKNOWN_KEY = "pay_sk_" + secrets.token_urlsafe(24)  # presented, never configured: only "never logged" hides it
EMAIL = "jane.doe@example.com"
MASKED_EMAIL = "j***@example.com"
BODY_SECRET = "sk_live_" + secrets.token_hex(12)  # a secret-looking string inside a webhook body
TRACE_ID = secrets.token_hex(16)
HEX_ORDER_ID = secrets.token_hex(32)  # 64 hex digits, like a SHA-256: an order system's id may look like one


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    stderr: Path
    stdout: Path
    answered_polls: int = 0
    sent: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # request id → method, route, status

    def output(self) -> tuple[str, str]:
        return self.stderr.read_text(), self.stdout.read_text()


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe(
        secret_key="sk_test_logs_" + secrets.token_hex(12), webhook_secret="whsec_logs_" + secrets.token_hex(12)
    )
    with running(fake) as url:
        fake.api_base = url
        yield fake


@pytest.fixture
def server(tmp_path: Path, stripe: FakeStripe) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}",
        "PAYMENTS_LOG_FORMAT": "json",
        "PAYMENTS_LOG_LEVEL": "info",
        "PAYMENTS_API_KEYS": json.dumps([{"name": "admin", "key": ADMIN_KEY, "scopes": ["admin"]}]),
        "PAYMENTS_PROVIDERS": "stripe",
        "PAYMENTS_STRIPE_SECRET_KEY": stripe.secret_key,
        "PAYMENTS_STRIPE_WEBHOOK_SECRETS": stripe.webhook_secret,
        "PAYMENTS_STRIPE_API_BASE": stripe.api_base,
        "PAYMENTS_WORKER_IN_PROCESS": "false",
    }
    stderr, stdout = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with stderr.open("wb") as err, stdout.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    live = Server(f"http://127.0.0.1:{port}", process, stderr, stdout)
    try:
        live.answered_polls = _wait_until_healthy(live)
        yield live
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(15)


def _wait_until_healthy(server: Server) -> int:
    return wait_until_healthy(server.url, timeout=60, process=server.process, log=server.stderr)


def _send(
    server: Server, http: httpx.Client, method: str, path: str, route: str, status: int, **kw: Any
) -> httpx.Response:
    request_id = f"logs-{len(server.sent)}-{secrets.token_hex(4)}"
    headers = {"X-Request-ID": request_id, **kw.pop("headers", {})}
    response = http.request(method, f"{server.url}{path}", headers=headers, **kw)
    assert response.status_code == status, response.text
    server.sent[request_id] = (method, route, status)
    return response


def test_json_access_lines_and_no_secrets_in_the_output(server: Server, stripe: FakeStripe) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_KEY}"}
    traceparent = f"00-{TRACE_ID}-{secrets.token_hex(8)}-01"
    with httpx.Client(timeout=10) as http:
        created = _send(
            server, http, "POST", "/api/v1/orders/order-logs-1/checkout", "/api/v1/orders/{order_id}/checkout", 201,
            headers={**bearer, "traceparent": traceparent},
            json={"amount": 4200, "currency": "USD", "provider": "stripe", "customer": {"email": EMAIL}},
        ).json()  # fmt: skip
        payment_path, payment_route = f"/api/v1/payments/{created['id']}", "/api/v1/payments/{payment_id}"
        _send(server, http, "GET", payment_path, payment_route, 200, headers={"X-API-Key": ADMIN_KEY})

        completed, _ = stripe.pay(created["provider_reference"])
        event = json.loads(completed.body)
        event["data"]["object"]["description"] = f"order for {EMAIL}, internal ref {BODY_SECRET}"
        body = json.dumps(event).encode()
        signature = stripe.signature(body)
        webhook_route = "/api/v1/webhooks/{provider}"
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        _send(server, http, "POST", "/api/v1/webhooks/stripe", webhook_route, 200, content=body, headers=headers)
        forged = f"t={int(time.time())},v1={secrets.token_hex(32)}"
        headers = {"Content-Type": "application/json", "Stripe-Signature": forged}
        _send(server, http, "POST", "/api/v1/webhooks/stripe", webhook_route, 400, content=body, headers=headers)

        _send(server, http, "GET", "/api/v1/payments/pay_missing", payment_route, 401,
              headers={"Authorization": f"Bearer {UNKNOWN_KEY}"})  # fmt: skip
        _send(server, http, "POST", f"/api/v1/orders/{EMAIL}/checkout", "/api/v1/orders/{order_id}/checkout", 422,
              headers=bearer, json={"amount": 100, "currency": "USD"})  # fmt: skip
        status_route = "/api/v1/orders/{order_id}/payment-status"
        _send(server, http, "GET", f"/api/v1/orders/{HEX_ORDER_ID}/payment-status", status_route, 404, headers=bearer)
        _send(server, http, "GET", "/api/v1/orders/nul%00id/payment-status", status_route, 422, headers=bearer)
        _send(server, http, "GET", "/no/such/route", "unmatched", 404)
        _send(server, http, "DELETE", "/health", "unmatched", 405)
        paid = http.get(server.url + payment_path, headers=bearer).json()
        assert paid["status"] == "succeeded"  # the signed webhook was applied
    server.process.terminate()
    server.process.wait(15)
    stderr, stdout = server.output()

    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is one JSON object
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own records are JSON too
    access = [line for line in lines if line["logger"] == "payments.access"]
    # exactly one line per request: the startup polls, ours, and the final status read
    assert len(access) == server.answered_polls + len(server.sent) + 1
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # uvicorn's access log is off
    by_id = {line["request_id"]: line for line in access}
    for request_id, (method, route, status) in server.sent.items():
        line = by_id[request_id]
        assert (line["method"], line["route"], line["status"]) == (method, route, status), line
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
        assert line["client"] == "127.0.0.1"
    first = by_id[next(iter(server.sent))]
    assert first["trace_id"] == TRACE_ID
    assert any(line["path"] == f"/api/v1/orders/{MASKED_EMAIL}/checkout" for line in access)
    # a 64-hex order id is an order id, not a secret; a NUL from a path is shown escaped, never raw
    assert any(line["path"] == f"/api/v1/orders/{HEX_ORDER_ID}/payment-status" for line in access)
    assert any(line["path"] == "/api/v1/orders/nul\\x00id/payment-status" for line in access)
    assert "\\u0000" not in stderr

    output = stderr + stdout
    assert EMAIL not in output
    assert MASKED_EMAIL in output
    raw_body = body.decode()
    for secret in (ADMIN_KEY, UNKNOWN_KEY, stripe.secret_key, stripe.webhook_secret, signature, forged, BODY_SECRET):
        assert secret not in output
    assert signature.split("v1=")[1] not in output
    assert forged.split("v1=")[1] not in output
    assert raw_body not in output
