"""The per-client-IP budget for failed authentication, over real HTTP: requests without a usable API key and
webhooks with bad signatures are answered 429 once an address is over PAYMENTS_IP_RATE_LIMIT_PER_MINUTE, while a
good key or a correctly signed webhook from the same address goes on; behind a trusted proxy each client has its
own budget, and a client cannot escape its budget by writing X-Forwarded-For itself."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import LiveServer, serve
from tests.e2e.test_problem_families import assert_problem

LIMIT = 3


@pytest.fixture
def limited(sqlite: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    yield from serve(sqlite, api_keys, ip_rate_limit_per_minute=LIMIT)


@pytest.fixture
def behind_proxy(sqlite: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    yield from serve(sqlite, api_keys, ip_rate_limit_per_minute=LIMIT, trusted_proxies=("127.0.0.0/8",))


def forged_webhook(s: LiveServer, headers: dict[str, str] | None = None) -> httpx.Response:
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "created": int(time.time())})
    forged = {"Content-Type": "application/json", "Simulator-Signature": f"t={int(time.time())},v1={'0' * 64}"}
    return s.http.post("/api/v1/webhooks/simulator", content=body, headers={**forged, **(headers or {})})


def test_key_guessing_is_throttled_and_a_good_key_from_the_same_address_is_not(limited: LiveServer) -> None:
    s = limited
    guesses = [s.get("/api/v1/transactions", headers={"Authorization": f"Bearer guess-{n}"}) for n in range(LIMIT)]
    assert [r.status_code for r in guesses] == [401] * LIMIT

    refused = s.get("/api/v1/transactions", headers={"Authorization": "Bearer guess-again"})
    problem = assert_problem(s, refused, 429, "rate-limited")
    # one request's share of the minute, less the little the guesses took: not the whole minute, not a second
    assert 60 // LIMIT - 5 <= int(refused.headers["retry-after"]) <= 60 // LIMIT
    assert "address" in problem["detail"]
    assert s.get("/api/v1/payments/pay_x").status_code == 429  # no key at all counts too

    assert s.get("/api/v1/transactions", key="reader").status_code == 200  # good callers are untouched
    assert s.get("/health").status_code == 200


def test_forged_webhooks_are_throttled_and_a_signed_one_still_lands(limited: LiveServer) -> None:
    s = limited
    assert [forged_webhook(s).status_code for _ in range(LIMIT)] == [400] * LIMIT
    assert_problem(s, forged_webhook(s), 429, "rate-limited")

    payment = s.checkout("order-after-flood").json()
    paid = s.simulator_webhook("payment.succeeded", {"payment_id": payment["id"], "amount": 5000, "currency": "USD"})
    assert paid.status_code == 200, paid.text
    assert s.payment(payment["id"])["status"] == "succeeded"


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(behind_proxy: LiveServer) -> None:
    s = behind_proxy
    flooder, other = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
    assert [s.get("/api/v1/transactions", headers=flooder).status_code for _ in range(LIMIT)] == [401] * LIMIT
    assert s.get("/api/v1/transactions", headers=flooder).status_code == 429
    assert forged_webhook(s, flooder).status_code == 429  # one budget for both kinds of failure

    assert s.get("/api/v1/transactions", headers=other).status_code == 401  # another client: its own budget
    spoofed = {"X-Forwarded-For": "192.0.2.1, 203.0.113.7"}  # the flooder's own entry on the left is not believed
    assert s.get("/api/v1/transactions", headers=spoofed).status_code == 429


def test_without_trusted_proxies_a_written_x_forwarded_for_is_ignored(limited: LiveServer) -> None:
    s = limited
    answers = [
        s.get("/api/v1/transactions", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(LIMIT + 1)
    ]
    assert answers == [401] * LIMIT + [429]


def test_a_failure_seen_by_the_status_fast_path_and_the_route_counts_once(limited: LiveServer) -> None:
    s = limited
    path = "/api/v1/orders/order-1/payment-status"
    answers = [s.get(path, headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]
