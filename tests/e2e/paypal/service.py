"""The service configured for PayPal against a fake PayPal, as the PayPal e2e flows use it: postback
verification (`verify-webhook-signature`; offline verification is covered by the unit and integration tests,
which can trust a test CA) and a provider timeout of 1 s, so a slow fake is a timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infrastructure.providers.paypal.config import PayPalConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes.paypal import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID

SLOW = 1.25  # seconds: longer than the service's provider timeout (1 s)


def serve_paypal(database_url: str, api_keys: dict[str, str], api_base: str) -> Iterator[LiveServer]:
    config = PayPalConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_id=WEBHOOK_ID,
        api_base=api_base,
        webhook_verification="postback",
    )
    yield from serve(database_url, api_keys, providers=("paypal",), paypal=config, provider_timeout_seconds=1)


def deliver(s: LiveServer, body: bytes, headers: dict[str, str], expected: int = 200) -> dict[str, Any]:
    delivered = s.http.post("/api/v1/webhooks/paypal", content=body, headers=headers)
    assert delivered.status_code == expected, delivered.text
    answer: dict[str, Any] = delivered.json()
    return answer
