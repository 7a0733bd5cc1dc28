"""/ready over real HTTP: each check really fails when its dependency does, and the 503 names it.

Database down (a closed port), migrations one step behind, a configured broker that does not answer, a provider
whose configuration is incomplete: each is a `503 service-unavailable` problem whose `checks` and `detail` name
the failing check. An open provider circuit is reported but leaves the service ready. HEAD answers like GET.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infrastructure.db import migrate
from infrastructure.providers.paypal.config import PayPalConfig
from infrastructure.providers.paystack.config import PaystackConfig
from infrastructure.providers.stripe.config import StripeConfig
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.test_problem_families import assert_problem


def closed_port() -> int:
    """A port nothing listens on: bound, then released (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def ready(database_url: str, keys: dict[str, str], **overrides: Any) -> Iterator[tuple[LiveServer, httpx.Response]]:
    for server in serve(database_url, keys, **overrides):
        response = server.get("/ready")
        head = server.request("HEAD", "/ready")
        assert head.status_code == response.status_code
        assert head.content == b""
        assert head.headers["content-type"] == response.headers["content-type"]
        assert head.headers["content-length"] == response.headers["content-length"] == str(len(response.content))
        yield server, response


def not_ready(server: LiveServer, response: httpx.Response, failing: str) -> dict[str, Any]:
    problem = assert_problem(server, response, 503, "service-unavailable", extensions=frozenset({"checks"}))
    assert response.headers["retry-after"]
    assert f"{failing}: " in problem["detail"]
    assert set(problem["checks"]) == {"database", "migrations", "broker", "providers"}
    return problem


def test_ready_when_every_check_passes(live_server: LiveServer) -> None:
    response = live_server.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "not configured", "providers": {"simulator": "ok"}},
    }
    head = live_server.request("HEAD", "/ready")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(response.content))  # what GET would send, RFC 9110 9.3.2


def test_health_answers_head_without_a_body(sqlite_server: LiveServer) -> None:
    head = sqlite_server.request("HEAD", "/health")
    get = sqlite_server.get("/health")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


def test_database_down(api_keys: dict[str, str]) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/payments"
    for server, response in ready(url, api_keys):
        problem = not_ready(server, response, "database")
        assert problem["checks"]["database"].startswith("failed: ")
        assert problem["checks"]["migrations"] == "unknown"
        assert problem["checks"]["providers"] == {"simulator": "ok"}  # the others are still reported


def test_migrations_one_step_behind_head(tmp_path: Path, api_keys: dict[str, str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "-1")
    behind = migrate.current(url)
    assert behind is not None
    assert behind != migrate.head()
    for server, response in ready(url, api_keys):
        problem = not_ready(server, response, "migrations")
        assert problem["checks"]["database"] == "ok"
        assert problem["checks"]["migrations"] == (f"not at head (database at {behind}, code expects {migrate.head()})")


def test_configured_broker_that_does_not_answer(sqlite: str, api_keys: dict[str, str]) -> None:
    for server, response in ready(sqlite, api_keys, broker_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/"):
        problem = not_ready(server, response, "broker")
        assert problem["checks"]["broker"].startswith("failed: ")
        assert problem["checks"]["database"] == "ok"


@pytest.mark.parametrize(
    ("overrides", "provider", "reason"),
    [
        (
            {
                "providers": ("simulator", "paystack"),
                "paystack": PaystackConfig(secret_keys=("sk_test_x",), api_base="ftp://x"),
            },
            "paystack",
            "PAYMENTS_PAYSTACK_API_BASE is not an http(s) URL",
        ),
        (
            {"providers": ("simulator", "stripe"), "stripe": StripeConfig(secret_key="sk_test_x")},
            "stripe",
            "PAYMENTS_STRIPE_WEBHOOK_SECRETS is not set",
        ),
        (
            {"providers": ("simulator", "paypal"), "paypal": PayPalConfig(client_id="client", client_secret="secret")},
            "paypal",
            "PAYMENTS_PAYPAL_WEBHOOK_ID is not set",
        ),
        (
            {
                "providers": ("simulator", "paypal"),
                "paypal": PayPalConfig(
                    client_id="client", client_secret="secret", webhook_id="WH-1", webhook_verification="trust-me"
                ),
            },
            "paypal",
            "PAYMENTS_PAYPAL_WEBHOOK_VERIFICATION must be offline or postback",
        ),
    ],
    ids=["api-base", "stripe-secret", "paypal-webhook-id", "paypal-verification-mode"],
)
def test_provider_misconfigured(
    sqlite: str, api_keys: dict[str, str], overrides: dict[str, Any], provider: str, reason: str
) -> None:
    """Settings made in code (load_settings refuses these from the environment): /ready still catches them."""
    for server, response in ready(sqlite, api_keys, **overrides):
        problem = not_ready(server, response, "providers")
        assert problem["checks"]["providers"][provider] == f"failed: {reason}"
        assert f"providers: {provider}: failed: {reason}" in problem["detail"]
        assert problem["checks"]["database"] == "ok"


def test_an_open_circuit_is_reported_but_the_service_stays_ready(sqlite: str, api_keys: dict[str, str]) -> None:
    """A provider's outage is not ours: the load balancer must keep sending webhooks, reads and other checkouts."""
    down = {
        "providers": ("simulator", "paystack"),
        "paystack": PaystackConfig(secret_keys=("sk_test_x",), api_base=f"http://127.0.0.1:{closed_port()}"),
        "circuit_failure_threshold": 1,
        "circuit_reset_seconds": 3600,
    }
    for server in serve(sqlite, api_keys, **down):
        assert server.get("/ready").json()["checks"]["providers"] == {"simulator": "ok", "paystack": "ok"}
        failed = server.checkout(f"ord-{uuid.uuid4().hex[:8]}", 5000, "NGN", provider="paystack")
        assert failed.status_code == 503, failed.text
        response = server.get("/ready")
        assert response.status_code == 200, response.text
        providers = response.json()["checks"]["providers"]
        assert providers["simulator"] == "ok"
        assert providers["paystack"].startswith("circuit open, retry in ")
