"""Where callbacks may go, at checkout over HTTP, on SQLite and on Postgres (API.md "Where callbacks may go").

With PAYMENTS_CALLBACK_ALLOW_PRIVATE_NETWORKS=false a `callback_url` that is not a public address is a
`422 validation-error` pointing at `/callback_url`, and nothing is stored: no payment, no audit or outbox row,
so no provider was asked either (it is asked only about a stored payment). Host names go through the
composition root's resolver, replaced here by a fake DNS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from dependency_injector import providers
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.container import Container
from infrastructure.db.tables import outbox, payment_events, payments
from tests.e2e.conftest import LiveServer, serve
from tests.unit.fakes import FakeResolver

DNS = {
    "orders.example": ("93.184.216.34", "2606:2800:220:1::"),
    "loopback.example": ("127.0.0.1",),
    "internal.example": ("93.184.216.34", "10.0.0.5"),  # one private address among public ones is enough
}

REFUSED = [
    ("http://127.0.0.1:5432/", "the address 127.0.0.1 is not public (loopback)"),
    ("http://2130706433/cb", "the address 127.0.0.1 is not public (loopback)"),
    ("http://0x7f.1:6379/cb", "the address 127.0.0.1 is not public (loopback)"),
    ("http://[::1]:8000/cb", "the address ::1 is not public (loopback)"),
    ("http://[::ffff:127.0.0.1]/cb", "the address ::ffff:7f00:1 is not public (loopback: it carries 127.0.0.1)"),
    ("http://169.254.169.254/latest/meta-data/", "the address 169.254.169.254 is not public (link-local)"),
    ("https://10.0.0.5/cb", "the address 10.0.0.5 is not public (private)"),
    ("https://100.64.1.2/cb", "the address 100.64.1.2 is not public (shared)"),
    ("https://loopback.example/cb", "the host loopback.example resolves to an address that is not public (loopback)"),
    ("https://internal.example/cb", "the host internal.example resolves to an address that is not public (private)"),
    ("https://nowhere.example/cb", "the host nowhere.example does not resolve"),
]


@pytest.fixture
def guarded_server(database_url: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    def fake_dns(container: Container) -> None:
        container.host_resolver.override(providers.Object(FakeResolver(DNS)))

    yield from serve(database_url, api_keys, callback_allow_private_networks=False, customize=fake_dns)


async def _read(database_url: str, *queries: sa.Select[tuple[Any]]) -> list[list[Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [list((await connection.execute(query)).scalars()) for query in queries]
    finally:
        await engine.dispose()


def stored_rows(database_url: str) -> tuple[int, ...]:
    """How many payments, audit rows and outbox rows the database holds."""
    counts = [sa.select(sa.func.count()).select_from(table) for table in (payments, payment_events, outbox)]
    return tuple(rows[0] for rows in asyncio.run(_read(database_url, *counts)))


def stored_callback_urls(database_url: str) -> list[str]:
    (urls,) = asyncio.run(_read(database_url, sa.select(payments.c.callback_url)))
    return urls


def test_a_callback_url_that_is_not_public_is_refused_and_nothing_is_stored(guarded_server: LiveServer) -> None:
    s = guarded_server
    for callback_url, detail in REFUSED:
        refused = s.checkout("order-ssrf", callback_url=callback_url)

        assert refused.status_code == 422, (callback_url, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["type"].endswith("/problems/validation-error")
        assert problem["errors"] == [{"pointer": "/callback_url", "detail": detail}], callback_url
        assert problem["detail"] == f"/callback_url: {detail}"
    assert stored_rows(s.settings.database_url) == (0, 0, 0)
    assert s.get("/api/v1/orders/order-ssrf/payment-status", key="orders").status_code == 404


def test_a_public_callback_url_is_taken(guarded_server: LiveServer) -> None:
    s = guarded_server
    created = s.checkout("order-public", callback_url="https://orders.example/payment-events")

    assert created.status_code == 201, created.text
    assert stored_callback_urls(s.settings.database_url) == ["https://orders.example/payment-events"]


def test_development_allows_a_receiver_on_this_machine(live_server: LiveServer) -> None:
    assert live_server.settings.callback_allow_private_networks  # the development default
    created = live_server.checkout("order-local", callback_url="http://127.0.0.1:9000/payment-events")

    assert created.status_code == 201, created.text
