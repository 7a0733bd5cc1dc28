"""PayPal events whose webhooks never came are pulled back by the janitor from PayPal's webhook-events list, on
SQLite and on Postgres: an approval nobody delivered is captured by a reconciliation run, once; events we did
receive are duplicates; and a pulled approval that could not be captured yet is applied when run again."""

from __future__ import annotations

import json

from tests.e2e.conftest import LiveServer
from tests.e2e.paypal.service import deliver
from tests.provider_fakes.paypal import FakePayPal


def checkout(s: LiveServer, order_id: str) -> tuple[str, str]:
    created = s.checkout(order_id, 10_000, "USD", provider="paypal", return_url="https://shop.example/paid")
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["provider_reference"]


def reconcile(s: LiveServer) -> dict[str, int]:
    run = s.post("/api/v1/reconciliation/runs", key="admin")
    assert run.status_code == 200, run.text
    report: dict[str, int] = run.json()
    return report


def test_an_approval_never_delivered_is_pulled_and_captured_once(server: LiveServer, paypal: FakePayPal) -> None:
    s = server
    delivered_pid, delivered_order = checkout(s, "order-pp-delivered")
    deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(delivered_order)))
    missed_pid, missed_order = checkout(s, "order-pp-missed")
    missed, _ = paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(missed_order))  # never delivered

    report = reconcile(s)

    assert (report["pulled_events"], report["new_events"]) == (2, 1)  # the delivered one is a duplicate
    assert s.payment(missed_pid)["status"] == "succeeded"
    assert s.payment(delivered_pid)["status"] == "succeeded"
    assert s.inbox_by_event("paypal", json.loads(missed)["id"]) == ("processed", None)
    assert [c.headers["paypal-request-id"] for c in paypal.calls("capture")] == [
        f"capture-{delivered_pid}",
        f"capture-{missed_pid}",
    ]
    again = reconcile(s)
    assert (again["pulled_events"], again["new_events"]) == (2, 0)
    assert len(paypal.calls("capture")) == 2


def test_a_pulled_approval_paypal_could_not_capture_yet_is_applied_when_run_again(
    server: LiveServer, paypal: FakePayPal
) -> None:
    s = server
    pid, order = checkout(s, "order-pp-later")
    missed, _ = paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(order))
    paypal.fail("capture", 503)

    reconcile(s)

    event_id = json.loads(missed)["id"]
    assert s.inbox_by_event("paypal", event_id)[0] == "failed"
    assert s.payment(pid)["status"] == "processing"
    [row] = s.get("/api/v1/webhook-events", key="admin", params={"status": "failed"}).json()["data"]
    replayed = s.post(f"/api/v1/webhook-events/{row['id']}/replay", key="admin")  # the worker's retry path
    assert replayed.json()["status"] == "processed", replayed.text
    assert s.payment(pid)["status"] == "succeeded"
    assert paypal.calls("get_event")  # vouched for by PayPal again: a pulled event has no signature
