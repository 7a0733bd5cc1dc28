"""The product's main path over real HTTP, on SQLite and on Postgres, driven the way a person would:
check out, press Pay on the simulator's page, let its signed webhook arrive, read the status, refund twice."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from infrastructure.providers.signing import sign
from tests.e2e.conftest import WEBHOOK_SECRET, LiveServer
from tests.e2e.webhook_refusals import LONG_EVENT_ID, NOT_AN_EVENT, assert_malformed, assert_refused, stored_webhooks


def wait_for(server: LiveServer, path: str, done: Any, key: str = "admin", timeout: float = 10.0) -> dict[str, Any]:
    """Polls until the asynchronous path (a simulator webhook) has landed."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = server.get(path, key=key).json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def press(server: LiveServer, payment_id: str, button: str) -> str:
    page = server.http.get(f"/simulator/checkout/{payment_id}")
    assert page.status_code == 200
    assert f"/simulator/checkout/{payment_id}/{button}" in page.text
    pressed = server.http.post(f"/simulator/checkout/{payment_id}/{button}", data={})
    assert pressed.status_code == 303, pressed.text
    return pressed.headers["location"]


def test_checkout_pay_refund_in_two_steps_with_the_audit_trail(live_server: LiveServer) -> None:
    s = live_server
    created = s.checkout("order-e2e", 10_000, "USD", return_url="https://shop.example/paid", metadata={"cart": "c-9"})
    assert created.status_code == 201, created.text
    payment = created.json()
    pid = payment["id"]
    assert created.headers["location"] == f"/api/v1/payments/{pid}"
    assert (payment["status"], payment["amount"], payment["currency"], payment["provider"]) == (
        "processing",
        10_000,
        "USD",
        "simulator",
    )
    assert payment["checkout_url"] == f"{s.base_url}/simulator/checkout/{pid}"

    again = s.checkout("order-e2e", 10_000, "USD")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["checkout_url"]) == (pid, payment["checkout_url"])

    assert press(s, pid, "pay") == "https://shop.example/paid"
    status = s.get("/api/v1/orders/order-e2e/payment-status", key="orders").json()
    assert (status["status"], status["payment_id"], status["amount_refunded"]) == ("succeeded", pid, 0)

    partial = s.refund(pid, amount=2_500, reason="requested_by_customer")
    assert partial.status_code == 202, partial.text
    assert (partial.json()["status"], partial.json()["amount"]) == ("pending", 2_500)
    after_partial = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "partially_refunded")
    assert (after_partial["status"], after_partial["amount_refunded"]) == ("partially_refunded", 2_500)

    rest = s.refund(pid)  # no amount: all that remains
    assert rest.status_code == 202, rest.text
    assert rest.json()["amount"] == 7_500
    refunded = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "refunded")
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 10_000)
    assert sorted((r["amount"], r["status"]) for r in refunded["refunds"]) == [
        (2_500, "succeeded"),
        (7_500, "succeeded"),
    ]

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    # `refund.submitted` (the provider's reference) may land before or after the settling webhook
    settled = [
        (e["type"], e["from_status"], e["to_status"], e["source"]) for e in trail if e["type"] != "refund.submitted"
    ]
    assert settled == [
        ("payment.initiated", None, "processing", "api"),
        ("payment.checkout_session_created", "processing", "processing", "api"),
        ("payment.succeeded", "processing", "succeeded", "webhook"),
        ("refund.requested", "succeeded", "succeeded", "admin"),
        ("refund.succeeded", "succeeded", "succeeded", "webhook"),
        ("payment.partially_refunded", "succeeded", "partially_refunded", "webhook"),
        ("refund.requested", "partially_refunded", "partially_refunded", "admin"),
        ("refund.succeeded", "partially_refunded", "partially_refunded", "webhook"),
        ("payment.refunded", "partially_refunded", "refunded", "webhook"),
    ]
    by_type = {e["type"]: e for e in trail}
    assert by_type["payment.initiated"]["actor"] == "orders"
    assert by_type["refund.requested"]["actor"] == "refunder"
    assert by_type["payment.succeeded"]["actor"] == "simulator"
    assert by_type["payment.succeeded"]["provider_event_id"].startswith("evt_sim_")
    assert [e["at"] for e in trail] == sorted(e["at"] for e in trail)
    assert all(e["at"].endswith("Z") for e in trail)


def test_declined_payment_fails_and_does_not_block_a_new_checkout(live_server: LiveServer) -> None:
    s = live_server
    first = s.checkout("order-declined", 4_200, "EUR", cancel_url="https://shop.example/cart").json()
    assert press(s, first["id"], "decline") == "https://shop.example/cart"

    failed = s.get(f"/api/v1/payments/{first['id']}", key="reader").json()
    assert failed["status"] == "failed"
    assert failed["failure_reason"]
    second = s.checkout("order-declined", 4_200, "EUR")
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


def test_a_refund_the_simulator_fails_releases_the_amount(live_server: LiveServer) -> None:
    s = live_server
    pid = s.paid_payment("order-refund-fails", 3_000)["id"]

    refused = s.refund(pid, amount=3_000, note="simulate:fail")
    assert refused.status_code == 202
    payment = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["refunds"][0]["status"] != "pending")
    assert (payment["status"], payment["refunds"][0]["status"]) == ("succeeded", "failed")
    assert "refund.failed" in [e["type"] for e in s.get(f"/api/v1/payments/{pid}/events", key="admin").json()["data"]]
    retried = s.refund(pid, amount=3_000)  # the failed refund no longer holds the money
    assert retried.status_code == 202, retried.text


def test_a_repeated_refund_request_is_replayed_not_repeated(live_server: LiveServer) -> None:
    s = live_server
    pid = s.paid_payment("order-idem", 5_000)["id"]

    first = s.refund(pid, idempotency_key="refund-once", amount=1_000)
    second = s.refund(pid, idempotency_key="refund-once", amount=1_000)

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["id"] == first.json()["id"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(s.get(f"/api/v1/payments/{pid}", key="admin").json()["refunds"]) == 1


def test_transactions_list_filters_pages_and_exports(live_server: LiveServer) -> None:
    s = live_server
    pid = s.paid_payment("order-tx", 6_000)["id"]
    s.checkout("order-tx-2", 1_000, "JPY")
    refund = s.refund(pid, amount=1_000).json()
    wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "partially_refunded")

    everything = s.get("/api/v1/transactions", key="reader").json()
    assert [t["kind"] for t in everything["data"]] == ["refund", "payment", "payment"]  # newest first
    assert everything["next_cursor"] is None
    refunds_only = s.get("/api/v1/transactions", key="reader", params={"kind": "refund"}).json()["data"]
    assert [(t["id"], t["payment_id"], t["order_id"]) for t in refunds_only] == [(refund["id"], pid, "order-tx")]
    jpy = s.get("/api/v1/transactions", key="reader", params={"currency": "JPY"}).json()["data"]
    assert [(t["order_id"], t["status"]) for t in jpy] == [("order-tx-2", "processing")]

    first_page = s.get("/api/v1/transactions", key="reader", params={"limit": 2}).json()
    second_page = s.get(
        "/api/v1/transactions", key="reader", params={"limit": 2, "cursor": first_page["next_cursor"]}
    ).json()
    assert [t["id"] for t in first_page["data"] + second_page["data"]] == [t["id"] for t in everything["data"]]
    assert second_page["next_cursor"] is None

    exported = s.get("/api/v1/transactions", key="reader", headers={"Accept": "text/csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["id"] for r in rows] == [t["id"] for t in everything["data"]]

    by_reference = s.get(f"/api/v1/transactions/{refund['provider_reference'] or refund['id']}", key="reader")
    assert by_reference.status_code == 200
    assert by_reference.json()["kind"] == "refund"


def _signed_simulator(body: bytes, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    now = int(time.time())
    return body, {"Content-Type": "application/json", "Simulator-Signature": sign(secret, body, now)}


def test_a_correctly_signed_unreadable_webhook_is_malformed_and_a_forged_one_invalid(live_server: LiveServer) -> None:
    s = live_server
    pid = s.checkout("order-malformed", 1_000, "USD").json()["id"]
    data = {"payment_id": pid, "amount": 1_000, "currency": "USD"}
    event = {"id": "evt_malformed_1", "type": "payment.succeeded", "created": int(time.time()), "data": data}
    unreadable = [
        *NOT_AN_EVENT,
        json.dumps({k: v for k, v in event.items() if k != "type"}).encode(),  # no type
        json.dumps({**event, "created": 10**15}).encode(),  # a timestamp no calendar has
        json.dumps({**event, "data": "paid"}).encode(),
        json.dumps({**event, "id": LONG_EVENT_ID}).encode(),
    ]
    assert_malformed(s, "simulator", [_signed_simulator(body) for body in unreadable])

    for body in (json.dumps(event).encode(), unreadable[0]):  # forged: refused for the signature, whatever the body
        forged, headers = _signed_simulator(body, secret="whsec_forger_" + "0" * 20)
        assert_refused(s.http.post("/api/v1/webhooks/simulator", content=forged, headers=headers), "invalid-signature")
    assert stored_webhooks(s) == 0
    assert s.payment(pid)["status"] == "processing"


def test_what_the_checkout_sent_is_given_back_by_checkout_and_get_payment(live_server: LiveServer) -> None:
    s = live_server
    sent = {
        "customer": {"email": "ada.lovelace@example.com", "name": "Ada"},
        "description": "Order abc-123",
        "metadata": {"cart": "c-9"},
        "return_url": "https://shop.example/orders/abc-123/paid",
        "cancel_url": "https://shop.example/orders/abc-123",
        "callback_url": "https://orders.example/payment-events",
    }
    created = s.checkout("order-echo", 9_999, "USD", **sent)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in sent} == sent
    again = s.checkout("order-echo", 9_999, "USD")  # the open checkout handed back, as it was made
    assert again.status_code == 200, again.text
    assert {k: again.json()[k] for k in sent} == sent
    assert {k: s.payment(created.json()["id"])[k] for k in sent} == sent

    bare = s.checkout("order-bare", 100, "USD").json()
    expected = {"customer": None, "description": None, "metadata": {}, "return_url": None, "cancel_url": None}
    assert {k: bare[k] for k in expected} == expected
    assert {k: s.payment(bare["id"])[k] for k in expected} == expected
    listed = s.get("/api/v1/transactions", key="reader", params={"order_id": "order-echo"}).json()["data"]
    assert "customer" not in listed[0]  # the listing keeps API.md's fixed fields


def test_without_a_return_url_pay_lands_on_the_simulators_complete_page(sqlite_server: LiveServer) -> None:
    s = sqlite_server
    payment = s.checkout("order-no-shop", 1_999, "KWD").json()  # no return_url: nowhere to go back to

    landed = press(s, payment["id"], "pay")
    assert landed == f"/simulator/checkout/{payment['id']}/complete"
    page = s.http.get(landed)  # where the browser goes next, as the form's 303 tells it

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Payment complete: paid" in page.text
    assert "succeeded" in page.text
    assert "1.999 KWD" in page.text  # KWD has three decimals
    assert "order-no-shop" in page.text
    assert 'href="/api/v1/orders/order-no-shop/payment-status"' in page.text
    assert "Authorization: Bearer &lt;API key&gt;" in page.text
    assert "<script" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; style-src 'self'")
    status = s.get("/api/v1/orders/order-no-shop/payment-status", key="orders").json()
    assert status["status"] == "succeeded"


def test_without_a_return_url_decline_lands_on_the_complete_page_saying_so(sqlite_server: LiveServer) -> None:
    s = sqlite_server
    payment = s.checkout("order-no-shop-declined", 500, "USD").json()
    page = s.http.get(press(s, payment["id"], "decline"))
    assert "Payment declined" in page.text
    assert "5.00 USD" in page.text
    assert s.http.get("/simulator/checkout/pay_nonexistent/complete").status_code == 404
