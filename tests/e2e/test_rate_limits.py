"""Rate limits over real HTTP: per API key (the minute tier, so nothing refills while the test runs) and per
webhook provider; a refused request is a 429 problem with Retry-After and changes nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infrastructure.providers.stripe.config import StripeConfig
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.test_problem_families import assert_problem

RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy")


@pytest.fixture
def limited(sqlite: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    # 3 requests a minute per key (one more every 20 s); the per-second tier is out of the way
    yield from serve(sqlite, api_keys, rate_limit_per_second=1000, rate_limit_per_minute=3)


def headers_of(response: httpx.Response) -> tuple[int, int, int, str]:
    h = response.headers
    return int(h["ratelimit-limit"]), int(h["ratelimit-remaining"]), int(h["ratelimit-reset"]), h["ratelimit-policy"]


def test_the_fourth_request_of_a_key_is_refused_and_changes_nothing(limited: LiveServer) -> None:
    s = limited
    admitted = [s.checkout(f"ord-{n}-{uuid.uuid4().hex[:8]}") for n in range(3)]
    assert [r.status_code for r in admitted] == [201, 201, 201]
    # on successes too: the binding tier (3 a minute), what is left, when the quota is whole again, the policy
    assert [headers_of(r)[:2] for r in admitted] == [(3, 2), (3, 1), (3, 0)]
    assert all(headers_of(r)[3] == "1000;w=1, 3;w=60" for r in admitted)
    assert all(1 <= headers_of(r)[2] <= 60 for r in admitted)

    refused_order = f"ord-refused-{uuid.uuid4().hex[:8]}"
    refused = s.checkout(refused_order)
    body = assert_problem(s, refused, 429, "rate-limited")
    assert "orders" in body["detail"]
    # the next request is due 20 s after the first (3 a minute); the three before took well under 5 s
    assert 15 <= int(refused.headers["retry-after"]) <= 20
    limit, remaining, reset, policy = headers_of(refused)
    assert (limit, remaining, policy) == (3, 0, "1000;w=1, 3;w=60")
    assert 40 <= reset <= 60

    # nothing was created: another key (with its own quota) finds no payment for the refused order
    missing = s.get(f"/api/v1/orders/{refused_order}/payment-status", key="reader")
    assert missing.status_code == 404
    assert headers_of(missing)[:2] == (3, 2)  # the reader's own quota


def test_a_refused_refund_refunds_nothing(limited: LiveServer) -> None:
    s = limited
    payment = s.paid_payment(f"ord-{uuid.uuid4().hex[:8]}", 5_000)
    assert [s.refund(payment["id"], amount=100).status_code for _ in range(3)] == [202, 202, 202]
    refused = s.refund(payment["id"], amount=100)
    assert_problem(s, refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    refunds = s.get(f"/api/v1/payments/{payment['id']}", key="reader").json()["refunds"]
    assert len(refunds) == 3


def test_requests_that_fail_authentication_and_unlimited_routes_carry_no_limit(limited: LiveServer) -> None:
    s = limited
    for _ in range(5):  # more than the quota: nobody's quota is spent by keys that do not exist
        unknown = s.http.get("/api/v1/transactions", headers={"Authorization": "Bearer pk_not_a_key_0000000000"})
        assert unknown.status_code == 401
        assert not any(h in unknown.headers for h in RATE_HEADERS)
    for path in ("/health", "/ready", "/schema/openapi.json"):
        response = s.http.get(path)
        assert response.status_code == 200, path
        assert not any(h in response.headers for h in RATE_HEADERS), path
    assert headers_of(s.get("/api/v1/transactions", key="admin"))[:2] == (3, 2)


@pytest.fixture
def webhook_limited(sqlite: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    yield from serve(
        sqlite,
        api_keys,
        webhook_rate_limit_per_second=1,
        providers=("simulator", "stripe"),
        stripe=StripeConfig(secret_key="sk_test_rate_limits", webhook_secrets=("whsec_rate_limits_" + "0" * 16,)),
    )


def test_webhooks_are_limited_per_provider_and_a_refused_one_is_not_stored(webhook_limited: LiveServer) -> None:
    s = webhook_limited
    data = {"payment_id": "pay_unknown", "amount": 100, "currency": "USD"}
    first = s.simulator_webhook("payment.succeeded", data)
    assert first.status_code == 200, first.text
    assert headers_of(first)[:2] == (1, 0)
    assert headers_of(first)[3] == "1;w=1"

    event_id = f"evt_refused_{uuid.uuid4().hex}"
    refused = s.simulator_webhook("payment.succeeded", data, event_id=event_id)  # well within the second
    assert_problem(s, refused, 429, "rate-limited")
    assert refused.headers["retry-after"] == "1"
    assert headers_of(refused)[:3] == (1, 0, 1)
    with pytest.raises(Exception, match="No row was found"):
        s.inbox_by_event("simulator", event_id)  # answered 429, so not stored: the provider sends it again

    # another provider has its own bucket: this one gets as far as its signature check
    other = s.http.post("/api/v1/webhooks/stripe", content=b"{}", headers={"Content-Type": "application/json"})
    assert_problem(s, other, 400, "invalid-signature")
    assert headers_of(other)[:2] == (1, 0)

    time.sleep(1.0)  # the provider retries later, and the event is taken
    retried = s.simulator_webhook("payment.succeeded", data, event_id=event_id)
    assert retried.status_code == 200, retried.text
    assert s.inbox_by_event("simulator", event_id)[0] == "failed"  # stored (for an unknown payment, to retry)
