"""`GET /metrics` after known traffic through the real app over HTTP: exact counts, route templates as labels,
no raw ids anywhere in the scrape, and the outbox gauge read from the database."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import LiveServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: LiveServer) -> tuple[str, Samples]:
    answer = server.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }
    return answer.text, found


def series(found: Samples, name: str, *, without: Callable[[dict[str, str]], bool] = lambda _: False) -> dict:
    """{labels: value} of one metric, as plain dicts turned into sorted tuples."""
    return {
        tuple(sorted(labels)): value
        for (sample, labels), value in found.items()
        if sample == name and not without(dict(labels))
    }


def labels(**values: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(values.items()))


def test_metrics_after_checkout_webhooks_refund_and_a_missing_payment(live_server: LiveServer) -> None:
    server = live_server
    statuses: dict[tuple[str, str], list[int]] = {}

    def sent(method: str, route: str, answer: httpx.Response) -> httpx.Response:
        statuses.setdefault((method, route), []).append(answer.status_code)
        return answer

    checkout_route = "/api/v1/orders/{order_id}/checkout"
    webhook_route = "/api/v1/webhooks/{provider}"
    payment_route = "/api/v1/payments/{payment_id}"
    events_route = "/api/v1/payments/{payment_id}/events"
    refund_route = "/api/v1/payments/{payment_id}/refund"

    created = sent("POST", checkout_route, server.checkout("order-metrics-1", 5_000))
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    again = sent("POST", checkout_route, server.checkout("order-metrics-1", 5_000))  # handed back
    assert again.json()["id"] == payment_id
    data = {"payment_id": payment_id, "amount": 5_000, "currency": "USD"}
    paid = sent("POST", webhook_route, server.simulator_webhook("payment.succeeded", data, event_id="evt_m_paid"))
    assert server.inbox(paid.json()["id"])[0] == "processed"
    duplicate = sent("POST", webhook_route, server.simulator_webhook("payment.succeeded", data, event_id="evt_m_paid"))
    assert duplicate.json()["duplicate"] is True
    forged = sent(
        "POST",
        webhook_route,
        server.http.post(
            "/api/v1/webhooks/simulator",
            content=b'{"id": "evt_m_forged", "type": "payment.succeeded", "created": 1, "data": {}}',
            headers={"Content-Type": "application/json", "Simulator-Signature": "t=1,v1=" + "0" * 64},
        ),
    )
    assert forged.status_code == 400, forged.text
    refund = sent("POST", refund_route, server.refund(payment_id, amount=2_000))
    assert refund.status_code == 202, refund.text
    missing = sent("GET", payment_route, server.get("/api/v1/payments/pay_01NOSUCHPAYMENT000000000000", key="admin"))
    assert missing.status_code == 404
    nowhere = sent("GET", "unmatched", server.get("/no/such/route/pay_01NOSUCHPAYMENT000000000000"))
    assert nowhere.status_code == 404

    # the simulator settles the refund by a signed webhook of its own, over HTTP: wait for its effect
    trail: list[dict[str, str]] = []
    deadline = time.monotonic() + 10
    while not any(entry["type"] == "payment.partially_refunded" for entry in trail):
        assert time.monotonic() < deadline, "the simulator's refund webhook never arrived"
        trail = sent("GET", events_route, server.get(f"/api/v1/payments/{payment_id}/events", key="admin")).json()[
            "data"
        ]
        time.sleep(0.02)
    statuses[("POST", webhook_route)].append(200)  # the simulator's own delivery, answered 200
    # its request is counted as its response ends, which may be a moment after its effect is visible
    scrapes = 0
    settlement = labels(method="POST", route=webhook_route, status="200")
    while series(scrape(server)[1], "payments_http_requests_total").get(settlement) != 3:
        scrapes += 1
        assert time.monotonic() < deadline, "the refund webhook's request was never counted"
        time.sleep(0.01)
    scrapes += 1

    text, found = scrape(server)

    assert series(found, "payments_checkouts_total") == {
        labels(provider="simulator", outcome="created"): 1,
        labels(provider="simulator", outcome="reused"): 1,
    }
    assert series(found, "payments_webhook_events_total") == {
        labels(provider="simulator", outcome="processed"): 2,  # the payment, then the refund's settlement
        labels(provider="simulator", outcome="duplicate"): 1,
        labels(provider="simulator", outcome="invalid_signature"): 1,
    }
    assert series(found, "payments_refunds_total") == {labels(provider="simulator", outcome="pending"): 1}
    assert series(found, "payments_status_transitions_total") == {
        labels(from_status="processing", to_status="succeeded"): 1,
        labels(from_status="succeeded", to_status="partially_refunded"): 1,
    }
    provider_calls = series(found, "payments_provider_request_duration_seconds_count")
    assert provider_calls == {
        labels(provider="simulator", operation="checkout", outcome="ok"): 1,  # the handed-back one asks nobody
        labels(provider="simulator", operation="refund", outcome="ok"): 1,
    }
    # no worker runs in this server: every audit event of the payment is still in the outbox
    assert series(found, "payments_outbox_pending") == {(): len(trail)}

    expected: dict[tuple[tuple[str, str], ...], float] = {}
    for (method, route), codes in statuses.items():
        for code in codes:
            key = labels(method=method, route=route, status=str(code))
            expected[key] = expected.get(key, 0) + 1
    expected[labels(method="GET", route="/metrics", status="200")] = scrapes
    assert series(found, "payments_http_requests_total", without=lambda s: s["route"] == "/health") == expected
    durations = series(found, "payments_http_request_duration_seconds_count", without=lambda s: s["route"] == "/health")
    assert durations[labels(method="POST", route=webhook_route)] == 4  # paid, duplicate, forged, the settlement

    raw_ids = [payment_id, refund.json()["id"], "order-metrics-1", "NOSUCHPAYMENT", "evt_m_", "simulator/"]
    assert [raw for raw in raw_ids if raw in text] == []


def test_a_status_read_counts_under_one_route_whichever_way_it_is_answered(live_server: LiveServer) -> None:
    """Ordinary reads are answered by the fast path, others (here a 404) by the Litestar route: one label."""
    server = live_server
    assert server.checkout("order-metrics-status").status_code == 201
    served = server.get("/api/v1/orders/order-metrics-status/payment-status", key="reader")
    assert served.status_code == 200, served.text
    missing = server.get("/api/v1/orders/order-metrics-nothing/payment-status", key="reader")
    assert missing.status_code == 404, missing.text

    route = "/api/v1/orders/{order_id}/payment-status"
    deadline = time.monotonic() + 5  # a request is counted as its response ends, a moment after the client has it
    while True:
        counted = series(
            scrape(server)[1], "payments_http_requests_total", without=lambda s: "payment-status" not in s["route"]
        )
        if len(counted) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert counted == {
        labels(method="GET", route=route, status="200"): 1,
        labels(method="GET", route=route, status="404"): 1,
    }
