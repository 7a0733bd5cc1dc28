"""Every problem family over real HTTP: one exact shape (RFC 9457), the right status, slug and headers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from interfaces.http.problem_types import PROBLEM_TYPES
from tests.e2e.conftest import LiveServer, serve

CONTRACT_SLUGS = (
    "malformed-request",
    "validation-error",
    "unauthenticated",
    "forbidden",
    "not-found",
    "payment-not-found",
    "transaction-not-found",
    "webhook-event-not-found",
    "notification-not-found",
    "method-not-allowed",
    "payload-too-large",
    "unsupported-media-type",
    "rate-limited",
    "order-already-paid",
    "checkout-conflict",
    "payment-not-refundable",
    "refund-exceeds-available",
    "unsupported-currency",
    "provider-not-enabled",
    "idempotency-key-required",
    "idempotency-key-reuse",
    "idempotency-key-in-use",
    "invalid-signature",
    "malformed-webhook",
    "unknown-provider",
    "provider-error",
    "provider-unavailable",
    "service-unavailable",
    "internal-error",
)


def order_id() -> str:
    return f"ord-{uuid.uuid4().hex[:12]}"


def assert_problem(
    server: LiveServer, response: httpx.Response, status: int, slug: str, *, extensions: frozenset[str] = frozenset()
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"{server.base_url}/problems/{slug}"
    assert body["title"] == PROBLEM_TYPES[slug].title
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "request_id", "errors"} | extensions
    return body


# ---- the request itself --------------------------------------------------------------------------------------


def test_unparseable_json_is_malformed_request(sqlite_server: LiveServer) -> None:
    response = sqlite_server.post(
        f"/api/v1/orders/{order_id()}/checkout",
        key="orders",
        content=b'{"amount": 10',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(sqlite_server, response, 400, "malformed-request")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"amount": -5, "currency": "USD"}, "/amount"),
        ({"amount": 0, "currency": "USD"}, "/amount"),
        ({"amount": "100", "currency": "USD"}, "/amount"),
        ({"amount": 99.5, "currency": "USD"}, "/amount"),
        ({"amount": 100, "currency": "US"}, "/currency"),
        ({"amount": 100, "currency": "XYZ"}, "/currency"),
        ({"currency": "USD"}, "/amount"),
        ({"amount": 100, "currency": "USD", "surprise": 1}, "/surprise"),
        ({"amount": 100, "currency": "USD", "return_url": "javascript:alert(1)"}, "/return_url"),
        ({"amount": 100, "currency": "USD", "customer": {"email": "not-an-address"}}, "/customer/email"),
        ({"amount": 100, "currency": "USD", "provider": "acme"}, "/provider"),
    ],
)
def test_invalid_body_is_validation_error_with_a_pointer(
    sqlite_server: LiveServer, body: dict[str, Any], pointer: str
) -> None:
    response = sqlite_server.post(f"/api/v1/orders/{order_id()}/checkout", key="orders", json=body)
    problem = assert_problem(sqlite_server, response, 422, "validation-error")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    assert all(error["detail"] for error in problem["errors"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("limit=0", "limit"), ("limit=201", "limit"), ("kind=coupon", "kind"), ("cursor=not-ours", "cursor")],
)
def test_invalid_query_is_validation_error_naming_the_parameter(
    sqlite_server: LiveServer, query: str, parameter: str
) -> None:
    response = sqlite_server.get(f"/api/v1/transactions?{query}", key="reader")
    problem = assert_problem(sqlite_server, response, 422, "validation-error")
    assert [error["parameter"] for error in problem["errors"]] == [parameter]


def test_invalid_order_id_is_validation_error_naming_the_path_parameter(sqlite_server: LiveServer) -> None:
    response = sqlite_server.post(
        "/api/v1/orders/bad%20id/checkout", key="orders", json={"amount": 1, "currency": "USD"}
    )
    problem = assert_problem(sqlite_server, response, 422, "validation-error")
    assert problem["errors"][0]["parameter"] == "order_id"


def test_body_over_the_limit_is_payload_too_large(sqlite_server: LiveServer) -> None:
    too_big = json.dumps({"amount": 1, "currency": "USD", "description": "x" * sqlite_server.settings.max_body_bytes})
    response = sqlite_server.post(
        f"/api/v1/orders/{order_id()}/checkout",
        key="orders",
        content=too_big.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_problem(sqlite_server, response, 413, "payload-too-large")


def test_non_json_body_is_unsupported_media_type(sqlite_server: LiveServer) -> None:
    response = sqlite_server.post(
        f"/api/v1/orders/{order_id()}/checkout",
        key="orders",
        content=b'{"amount": 100, "currency": "USD"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(sqlite_server, response, 415, "unsupported-media-type")


# ---- who is asking --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer pk_nobody_knows_this_key"},
        {"X-API-Key": "pk_nobody"},
        {"Authorization": "Basic eA=="},
    ],
)
def test_missing_or_unknown_key_is_unauthenticated(sqlite_server: LiveServer, headers: dict[str, str]) -> None:
    response = sqlite_server.get("/api/v1/transactions", headers=headers)
    assert_problem(sqlite_server, response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_x_api_key_header_is_accepted(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/api/v1/transactions", headers={"X-API-Key": sqlite_server.keys["reader"]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("key", "method", "path"),
    [
        ("reader", "POST", "/api/v1/orders/o-1/checkout"),
        ("orders", "POST", "/api/v1/payments/pay_x/refund"),
        ("refunder", "POST", "/api/v1/orders/o-1/checkout"),
    ],
)
def test_key_without_the_scope_is_forbidden(sqlite_server: LiveServer, key: str, method: str, path: str) -> None:
    response = sqlite_server.request(method, path, key=key, json={"amount": 1, "currency": "USD"})
    assert_problem(sqlite_server, response, 403, "forbidden")


def test_admin_key_may_do_everything(sqlite_server: LiveServer) -> None:
    assert sqlite_server.checkout(order_id(), key="admin").status_code == 201


# ---- routes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v2/transactions"])
def test_unknown_route_is_not_found(sqlite_server: LiveServer, path: str) -> None:
    assert_problem(sqlite_server, sqlite_server.get(path, key="admin"), 404, "not-found")


def test_wrong_method_is_method_not_allowed(sqlite_server: LiveServer) -> None:
    response = sqlite_server.request("DELETE", "/api/v1/payments/pay_x", key="admin")
    assert_problem(sqlite_server, response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


def test_unknown_payment_is_payment_not_found(sqlite_server: LiveServer) -> None:
    for path in ("/api/v1/payments/pay_nope", "/api/v1/payments/pay_nope/events", "/api/v1/orders/none/payment-status"):
        assert_problem(sqlite_server, sqlite_server.get(path, key="reader"), 404, "payment-not-found")


def test_unknown_transaction_is_transaction_not_found(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/api/v1/transactions/re_nope", key="reader")
    assert_problem(sqlite_server, response, 404, "transaction-not-found")


# ---- webhooks -----------------------------------------------------------------------------------------------------


def test_webhook_for_a_provider_not_enabled_is_unknown_provider(sqlite_server: LiveServer) -> None:
    for provider in ("acme", "stripe"):
        response = sqlite_server.post(
            f"/api/v1/webhooks/{provider}", content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert_problem(sqlite_server, response, 404, "unknown-provider")


@pytest.mark.parametrize("signature", [None, "t=1,v1=00", "garbage", "t=9999999999,v1=" + "0" * 64])
def test_bad_webhook_signature_is_invalid_signature(sqlite_server: LiveServer, signature: str | None) -> None:
    headers = {"Content-Type": "application/json"} | ({"Simulator-Signature": signature} if signature else {})
    body = b'{"id": "evt_1", "type": "payment.succeeded", "created": 1, "data": {}}'
    response = sqlite_server.post("/api/v1/webhooks/simulator", content=body, headers=headers)
    assert_problem(sqlite_server, response, 400, "invalid-signature")


def test_the_webhook_route_documents_both_of_its_400_problem_types(sqlite_server: LiveServer) -> None:
    document = sqlite_server.get("/schema/openapi.json").json()
    refused = document["paths"]["/api/v1/webhooks/{provider}"]["post"]["responses"]["400"]
    assert "invalid-signature" in refused["description"]
    assert "malformed-webhook" in refused["description"]


def test_webhooks_may_be_larger_than_api_bodies_up_to_their_own_limit(sqlite_server: LiveServer) -> None:
    padding = "x" * (sqlite_server.settings.max_body_bytes * 2)
    body = json.dumps({"id": "evt_big", "type": "payment.succeeded", "created": 1, "data": {}, "pad": padding})
    headers = {"Content-Type": "application/json", "Simulator-Signature": "t=1,v1=00"}
    accepted_size = sqlite_server.post("/api/v1/webhooks/simulator", content=body.encode(), headers=headers)
    assert_problem(sqlite_server, accepted_size, 400, "invalid-signature")
    too_big = sqlite_server.post("/api/v1/webhooks/simulator", content=b"x" * (2 * 1024 * 1024), headers=headers)
    assert_problem(sqlite_server, too_big, 413, "payload-too-large")


# ---- business rules (on both stores) -----------------------------------------------------------------------------


def test_refund_without_idempotency_key_is_required(live_server: LiveServer) -> None:
    payment = live_server.paid_payment(order_id())
    response = live_server.post(f"/api/v1/payments/{payment['id']}/refund", key="refunder", json={"amount": 100})
    assert_problem(live_server, response, 400, "idempotency-key-required")


def test_same_idempotency_key_with_another_body_is_reuse(live_server: LiveServer) -> None:
    order, key = order_id(), {"Idempotency-Key": uuid.uuid4().hex}
    path = f"/api/v1/orders/{order}/checkout"
    first = live_server.post(path, key="orders", headers=key, json={"amount": 100, "currency": "USD"})
    assert first.status_code == 201, first.text
    replay = live_server.post(path, key="orders", headers=key, json={"amount": 100, "currency": "USD"})
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["location"] == first.headers["location"]
    assert replay.json() == first.json()
    other = live_server.post(path, key="orders", headers=key, json={"amount": 200, "currency": "USD"})
    assert_problem(live_server, other, 422, "idempotency-key-reuse")


def test_refund_above_what_remains_is_refund_exceeds_available(live_server: LiveServer) -> None:
    payment = live_server.paid_payment(order_id(), amount=5000)
    response = live_server.refund(payment["id"], amount=6000)
    problem = assert_problem(live_server, response, 422, "refund-exceeds-available")
    assert "6000" in problem["detail"]
    assert "5000" in problem["detail"]


def test_refund_of_an_unpaid_payment_is_not_refundable(live_server: LiveServer) -> None:
    created = live_server.checkout(order_id())
    response = live_server.refund(created.json()["id"], amount=100)
    assert_problem(live_server, response, 409, "payment-not-refundable")


def test_refund_of_an_unknown_payment_is_payment_not_found(live_server: LiveServer) -> None:
    assert_problem(live_server, live_server.refund("pay_nope", amount=1), 404, "payment-not-found")


def test_open_checkout_with_other_money_is_checkout_conflict(live_server: LiveServer) -> None:
    order = order_id()
    first = live_server.checkout(order, 5000)
    assert first.status_code == 201
    again = live_server.checkout(order, 5000)
    assert again.status_code == 200
    assert again.json()["checkout_url"] == first.json()["checkout_url"]
    assert_problem(live_server, live_server.checkout(order, 6000), 409, "checkout-conflict")
    assert_problem(live_server, live_server.checkout(order, 5000, "EUR"), 409, "checkout-conflict")


def test_checkout_for_a_paid_order_is_order_already_paid(live_server: LiveServer) -> None:
    order = order_id()
    live_server.paid_payment(order)
    assert_problem(live_server, live_server.checkout(order), 409, "order-already-paid")


def test_provider_not_enabled(sqlite_server: LiveServer) -> None:
    response = sqlite_server.checkout(order_id(), provider="stripe")
    assert_problem(sqlite_server, response, 422, "provider-not-enabled")


# ---- problem type pages ------------------------------------------------------------------------------------------


def test_every_problem_type_in_the_contract_has_a_description(sqlite_server: LiveServer) -> None:
    for slug in CONTRACT_SLUGS:
        response = sqlite_server.get(f"/problems/{slug}")
        assert response.status_code == 200, slug
        assert response.headers["content-type"].startswith(("text/html", "text/plain"))
        assert slug in response.text
        assert PROBLEM_TYPES[slug].title in response.text
    assert_problem(sqlite_server, sqlite_server.get("/problems/no-such-problem"), 404, "not-found")


# ---- request ids, health, readiness, schema ----------------------------------------------------------------------


def test_request_id_is_echoed_or_generated_on_every_response(sqlite_server: LiveServer) -> None:
    echoed = sqlite_server.get("/health", headers={"X-Request-ID": "req-from-caller-1"})
    assert echoed.headers["x-request-id"] == "req-from-caller-1"
    generated = sqlite_server.get("/health")
    assert generated.headers["x-request-id"]
    assert generated.headers["x-request-id"] != sqlite_server.get("/health").headers["x-request-id"]
    invalid = sqlite_server.get("/health", headers={"X-Request-ID": "x" * 129})
    assert invalid.headers["x-request-id"] != "x" * 129
    missing = sqlite_server.get("/no/such/route", headers={"X-Request-ID": "req-404"})
    assert missing.headers["x-request-id"] == "req-404"
    assert missing.json()["request_id"] == "req-404"
    traced = sqlite_server.get(
        "/health", headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    )
    assert traced.status_code == 200


def test_health(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_every_check(live_server: LiveServer) -> None:
    response = live_server.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "not configured", "providers": {"simulator": "ok"}},
    }


def test_ready_is_a_503_problem_with_checks_when_the_database_is_not_migrated(
    tmp_path: Path, api_keys: dict[str, str]
) -> None:
    for server in serve(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}", api_keys):
        response = server.get("/ready")
        problem = assert_problem(server, response, 503, "service-unavailable", extensions=frozenset({"checks"}))
        assert response.headers["retry-after"]
        assert problem["checks"]["database"] == "ok"
        assert problem["checks"]["migrations"].startswith("not at head")
        assert problem["checks"]["broker"] == "not configured"
        assert problem["checks"]["providers"] == {"simulator": "ok"}


def test_openapi_schema_lists_the_api(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {
        "/api/v1/orders/{order_id}/checkout",
        "/api/v1/orders/{order_id}/payment-status",
        "/api/v1/payments/{payment_id}",
        "/api/v1/payments/{payment_id}/events",
        "/api/v1/payments/{payment_id}/refund",
        "/api/v1/transactions",
        "/api/v1/transactions/{id_or_reference}",
        "/api/v1/webhooks/{provider}",
        "/health",
        "/ready",
    } <= paths
    page = sqlite_server.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
