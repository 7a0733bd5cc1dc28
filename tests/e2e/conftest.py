"""The real app over real HTTP: uvicorn in a background thread, on a free port, on a migrated database.

`live_server` runs each test on SQLite and on Postgres; `sqlite_server` only on SQLite, for tests whose
subject is the HTTP surface rather than the store. The server's public URL is its own address, so the
simulator's signed webhooks (refund settlements, checkout page buttons) come back to it over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.container import Container, build_container
from infrastructure.db.tables import webhook_events
from infrastructure.providers.signing import sign
from infrastructure.providers.simulator.config import SimulatorConfig
from infrastructure.settings import ConfiguredApiKey, Settings
from interfaces.http.app import create_app
from tests.provider_settings import settings_with

WEBHOOK_SECRET = "whsec_e2e_" + "0" * 24
API_KEYS: dict[str, tuple[str, ...]] = {
    "orders": ("payments:write", "payments:read"),
    "reader": ("payments:read",),
    "refunder": ("refunds:write", "payments:read"),
    "admin": ("admin",),
}


# (type, to_status, source) of the audit trail after: checkout, paid by webhook, a partial refund settled by
# webhook, then the rest refunded: the provider-independent story every provider's e2e scenario tells
TWO_STEP_REFUND_TRAIL = [
    ("payment.initiated", "processing", "api"),
    ("payment.checkout_session_created", "processing", "api"),
    ("payment.succeeded", "succeeded", "webhook"),
    ("refund.requested", "succeeded", "admin"),
    ("refund.submitted", "succeeded", "admin"),
    ("refund.succeeded", "succeeded", "webhook"),
    ("payment.partially_refunded", "partially_refunded", "webhook"),
    ("refund.requested", "partially_refunded", "admin"),
    ("refund.submitted", "partially_refunded", "admin"),
    ("refund.succeeded", "partially_refunded", "webhook"),
    ("payment.refunded", "refunded", "webhook"),
]


@dataclass
class LiveServer:
    base_url: str
    keys: dict[str, str]
    settings: Settings
    http: httpx.Client = field(repr=False)

    def auth(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"} if key else {}

    def request(
        self, method: str, path: str, *, key: str | None = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        return self.http.request(method, path, headers={**self.auth(key), **(headers or {})}, **kw)

    def get(self, path: str, *, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", path, key=key, **kw)

    def post(self, path: str, *, key: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, key=key, **kw)

    def payment(self, payment_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.get(f"/api/v1/payments/{payment_id}", key="admin").json()
        return body

    def inbox(self, receipt_id: str) -> tuple[str, str | None]:
        """A stored webhook event's status and reason, read from the store itself."""
        return asyncio.run(_read_inbox(self.settings.database_url, webhook_events.c.id == receipt_id))

    def inbox_by_event(self, provider: str, event_id: str) -> tuple[str, str | None]:
        where = sa.and_(webhook_events.c.provider == provider, webhook_events.c.event_id == event_id)
        return asyncio.run(_read_inbox(self.settings.database_url, where))

    def checkout(
        self, order_id: str, amount: int = 5000, currency: str = "USD", *, key: str = "orders", **body: Any
    ) -> httpx.Response:
        return self.post(
            f"/api/v1/orders/{order_id}/checkout", key=key, json={"amount": amount, "currency": currency, **body}
        )

    def refund(self, payment_id: str, *, idempotency_key: str | None = None, **body: Any) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.post(f"/api/v1/payments/{payment_id}/refund", key="refunder", headers=headers, json=body)

    def simulator_webhook(
        self, event_type: str, data: dict[str, Any], *, event_id: str | None = None
    ) -> httpx.Response:
        """Sends what the simulator's page sends: a signed event, over HTTP, to the webhook route."""
        now = int(time.time())
        body = json.dumps(
            {"id": event_id or f"evt_e2e_{uuid.uuid4().hex}", "type": event_type, "created": now, "data": data}
        ).encode()
        headers = {"Content-Type": "application/json", "Simulator-Signature": sign(WEBHOOK_SECRET, body, now)}
        return self.http.post("/api/v1/webhooks/simulator", content=body, headers=headers)

    def paid_payment(self, order_id: str, amount: int = 5000, currency: str = "USD") -> dict[str, Any]:
        """A checkout paid through a signed simulator webhook; returns the payment as checkout answered it."""
        created = self.checkout(order_id, amount, currency)
        assert created.status_code == 201, created.text
        payment: dict[str, Any] = created.json()
        data = {"payment_id": payment["id"], "amount": amount, "currency": currency}
        paid = self.simulator_webhook("payment.succeeded", data)
        assert paid.status_code == 200, paid.text
        return payment


async def _read_inbox(database_url: str, where: sa.ColumnElement[bool]) -> tuple[str, str | None]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = sa.select(webhook_events.c.status, webhook_events.c.reason).where(where)
            row = (await connection.execute(query)).one()
    finally:
        await engine.dispose()
    return row.status, row.reason


def _settings(database_url: str, base_url: str, keys: dict[str, str], overrides: dict[str, Any]) -> Settings:
    settings = Settings(
        env="development",
        host="127.0.0.1",
        port=int(base_url.rsplit(":", 1)[1]),
        public_url=base_url,
        database_url=database_url,
        api_keys=tuple(ConfiguredApiKey(name, keys[name], scopes) for name, scopes in API_KEYS.items()),
        providers=("simulator",),
        provider_configs={"simulator": SimulatorConfig(webhook_secrets=(WEBHOOK_SECRET,), settle_delay_seconds=0.05)},
        db_pool_size=5,
    )
    return settings_with(settings, **overrides)


@pytest.fixture(scope="session")
def api_keys() -> dict[str, str]:
    return {name: f"pk_e2e_{name}_{uuid.uuid4().hex}" for name in API_KEYS}


def serve(
    database_url: str,
    keys: dict[str, str],
    *,
    customize: Callable[[Container], None] | None = None,
    run_worker: bool = False,
    **overrides: Any,
) -> Iterator[LiveServer]:
    """`overrides` replace settings (a provider's name: its configuration, see tests/provider_settings.py);
    `customize` may override the composition root's providers (e.g. a fake
    resolver) before the app is built from it; `run_worker` runs the worker loops in the server's process, as
    `payments serve` does in development."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name it, and without it every
    # response waits ~40 ms for delayed ACKs (Nagle), slowing every test that talks to the server
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = _settings(database_url, base_url, keys, overrides)
    container = build_container(settings)
    if customize is not None:
        customize(container)
    config = uvicorn.Config(
        create_app(settings, container, run_worker=run_worker),
        loop="asyncio",
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # as `payments serve`: only PAYMENTS_TRUSTED_PROXIES decides whose X-Forwarded-For counts
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=base_url, timeout=10.0) as http:
            _wait_until_healthy(http, thread)
            yield LiveServer(base_url, keys, settings, http)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


def _wait_until_healthy(http: httpx.Client, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the server thread died during start-up (see the log above)")
        try:
            if http.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"the server did not answer /health within {timeout} s")


@pytest.fixture
def live_server(database_url: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    """The app over HTTP, once on SQLite and once on Postgres."""
    yield from serve(database_url, api_keys)


@pytest.fixture
def sqlite_server(sqlite: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    """The app over HTTP on SQLite only: for tests about the HTTP surface, not the store."""
    yield from serve(sqlite, api_keys)
