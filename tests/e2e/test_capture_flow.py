"""Authorize now, capture later; cancel; paid after cancel: over real HTTP with the simulator, on SQLite and on
Postgres, driven as an order system and a customer would (the checkout page's Authorize button, the capture and
cancel endpoints, the janitor run on demand)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infrastructure.providers.simulator.config import SimulatorConfig
from tests.e2e.conftest import WEBHOOK_SECRET, LiveServer, serve
from tests.e2e.test_payment_flow import press, wait_for

CALLBACK_SECRET = "cb_secret_e2e_capture_flow"  # callbacks are on only with a signing secret
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, a callback or webhook sent there is lost


def simulator(settle_delay_seconds: float) -> SimulatorConfig:
    return SimulatorConfig(webhook_secrets=(WEBHOOK_SECRET,), settle_delay_seconds=settle_delay_seconds)


@pytest.fixture
def at_once(database_url: str, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    """The simulator confirms captures in the call."""
    yield from serve(database_url, api_keys, simulator=simulator(0))


def capture(s: LiveServer, payment_id: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return s.post(f"/api/v1/payments/{payment_id}/capture", key="orders", headers=headers, json=body)


def cancel(s: LiveServer, payment_id: str) -> httpx.Response:
    return s.post(f"/api/v1/payments/{payment_id}/cancel", key="orders", json={"reason": "order cancelled"})


def authorized(s: LiveServer, order_id: str, amount: int = 10_000) -> str:
    """A manual checkout, authorized on the simulator's page (its button says Authorize, not Pay)."""
    created = s.checkout(order_id, amount, "USD", capture="manual")
    assert created.status_code == 201, created.text
    assert (created.json()["capture"], created.json()["status"]) == ("manual", "processing")
    pid: str = created.json()["id"]
    assert "Pay</button>" not in s.http.get(f"/simulator/checkout/{pid}").text
    assert press(s, pid, "authorize") == f"/simulator/checkout/{pid}/complete"
    assert "Payment authorized" in s.http.get(f"/simulator/checkout/{pid}/complete").text
    return pid


def problem_type(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    kind: str = response.json()["type"]
    return kind.rsplit("/", 1)[-1]


def trail(s: LiveServer, payment_id: str) -> list[tuple[str, str]]:
    events = s.get(f"/api/v1/payments/{payment_id}/events", key="reader").json()["data"]
    return [(e["type"], e["to_status"]) for e in events]


def test_authorize_then_capture_part_then_refund_up_to_what_was_captured(at_once: LiveServer) -> None:
    s = at_once
    pid = authorized(s, "cap-partial")
    held = s.payment(pid)
    ids, exported = listed(s, "authorized")
    assert pid in ids
    assert f",{pid},cap-partial,simulator," in exported
    assert (held["status"], held["amount_capturable"], held["amount_captured"], held["capture_pending"]) == (
        "authorized",
        10_000,
        None,
        False,
    )
    assert problem_type(s.refund(pid, amount=100)) == "payment-not-refundable"  # nothing was taken yet
    no_key = s.post(f"/api/v1/payments/{pid}/capture", key="orders", json={"amount": 7_000})
    assert no_key.status_code == 400, no_key.text
    too_much = capture(s, pid, amount=10_001)
    assert (too_much.status_code, problem_type(too_much)) == (422, "capture-exceeds-authorized")

    taken = capture(s, pid, key="ship-1", amount=7_000)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["amount_captured"], taken.json()["amount_capturable"]) == (
        "succeeded",
        7_000,
        0,
    )
    replay = capture(s, pid, key="ship-1", amount=7_000)  # the order system's retry: same answer, no new capture
    assert (replay.status_code, replay.json()) == (200, taken.json())
    again = capture(s, pid, amount=1_000)
    assert (again.status_code, problem_type(again)) == (409, "payment-not-capturable")

    assert s.refund(pid, amount=5_000).status_code == 202
    beyond = s.refund(pid, amount=2_001)  # 7 000 captured, 5 000 refunded: 2 000 remain
    assert beyond.status_code == 422, beyond.text
    assert s.refund(pid, amount=2_000).status_code == 202
    refunded = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "refunded")
    assert (refunded["amount_refunded"], refunded["amount_captured"]) == (7_000, 7_000)
    assert trail(s, pid)[:5] == [
        ("payment.initiated", "processing"),
        ("payment.checkout_session_created", "processing"),
        ("payment.authorized", "authorized"),
        ("payment.capture_requested", "authorized"),
        ("payment.succeeded", "succeeded"),
    ]


def listed(s: LiveServer, status: str) -> tuple[list[str], str]:
    """The payments the transactions listing shows with `status`, as JSON and as its CSV export."""
    params = {"status": status, "kind": "payment"}
    page = s.get("/api/v1/transactions", key="reader", params=params)
    assert page.status_code == 200, page.text
    exported = s.get("/api/v1/transactions", key="reader", params=params, headers={"Accept": "text/csv"})
    return [t["payment_id"] for t in page.json()["data"]], exported.text


def test_a_capture_confirmed_later_is_settled_by_the_simulators_webhook(live_server: LiveServer) -> None:
    s = live_server  # settle delay 0.05 s: the capture answers pending, its webhook follows
    pid = authorized(s, "cap-later")
    pending = capture(s, pid)
    assert pending.status_code == 200, pending.text
    assert (pending.json()["status"], pending.json()["capture_pending"], pending.json()["amount_capturable"]) == (
        "authorized",
        True,
        0,
    )
    settled = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "succeeded")
    assert (settled["status"], settled["amount_captured"], settled["capture_pending"]) == ("succeeded", 10_000, False)


def test_a_capture_whose_answer_was_lost_is_settled_by_the_janitor(database_url: str, api_keys: dict[str, str]) -> None:
    # the simulator's public URL leads nowhere: its settlement webhook is lost, as after a timeout
    for s in serve(database_url, api_keys, simulator=simulator(0.05), public_url=UNREACHABLE):
        created = s.checkout("cap-lost", 4_000, "USD", capture="manual").json()
        data = {"payment_id": created["id"], "amount": 4_000, "currency": "USD"}
        assert s.simulator_webhook("payment.authorized", data).status_code == 200
        assert capture(s, created["id"]).json()["capture_pending"] is True
        wait_for(s, f"/api/v1/payments/{created['id']}", lambda p: False, timeout=0.2)  # the settle delay passes

        run = s.post("/api/v1/reconciliation/runs", key="admin")

        assert run.status_code == 200, run.text
        assert [(c["payment_id"], c["from_status"], c["to_status"]) for c in run.json()["changed"]] == [
            (created["id"], "authorized", "succeeded")
        ]
        settled = s.payment(created["id"])
        assert (settled["status"], settled["amount_captured"], settled["capture_pending"]) == (
            "succeeded",
            4_000,
            False,
        )


def test_authorize_then_cancel_voids_the_hold_and_a_second_cancel_changes_nothing(at_once: LiveServer) -> None:
    s = at_once
    pid = authorized(s, "cap-void")
    voided = cancel(s, pid)
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"], voided.json()["amount_capturable"]) == ("cancelled", 0)
    repeat = cancel(s, pid)
    assert (repeat.status_code, repeat.json()["status"], repeat.json()["updated_at"]) == (
        200,
        "cancelled",
        voided.json()["updated_at"],
    )
    late = capture(s, pid)
    assert (late.status_code, problem_type(late)) == (409, "payment-not-capturable")
    assert [t for t in trail(s, pid) if t[0] == "payment.cancelled"] == [("payment.cancelled", "cancelled")]
    assert pid in listed(s, "cancelled")[0]
    metrics = s.get("/metrics").text
    assert 'payments_cancels_total{outcome="cancelled",provider="simulator"} 1.0' in metrics
    assert "This payment was cancelled" in s.http.get(f"/simulator/checkout/{pid}").text  # no buttons left


def test_a_paid_payment_cannot_be_cancelled(at_once: LiveServer) -> None:
    paid = at_once.paid_payment("cap-paid")
    refused = cancel(at_once, paid["id"])
    assert (refused.status_code, problem_type(refused)) == (409, "payment-not-cancellable")
    assert at_once.payment(paid["id"])["status"] == "succeeded"


def test_an_automatic_checkout_cannot_be_captured(at_once: LiveServer) -> None:
    paid = at_once.paid_payment("cap-auto")
    refused = capture(at_once, paid["id"])
    assert (refused.status_code, problem_type(refused)) == (409, "payment-not-capturable")


def test_two_captures_at_once_one_is_taken_the_other_refused(at_once: LiveServer) -> None:
    s = at_once
    pid = authorized(s, "cap-race")
    barrier, answers = threading.Barrier(2), []

    def race(amount: int) -> None:
        with httpx.Client(base_url=s.base_url, timeout=10.0) as http:
            headers = {**s.auth("orders"), "Idempotency-Key": uuid.uuid4().hex}
            barrier.wait()
            answers.append(http.post(f"/api/v1/payments/{pid}/capture", headers=headers, json={"amount": amount}))

    threads = [threading.Thread(target=race, args=(amount,)) for amount in (6_000, 9_000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    taken = next(a for a in answers if a.status_code == 200).json()
    assert problem_type(next(a for a in answers if a.status_code == 409)) == "payment-not-capturable"
    metrics = s.get("/metrics").text
    assert 'payments_captures_total{outcome="succeeded",provider="simulator"} 1.0' in metrics
    assert 'payments_captures_total{outcome="rejected",provider="simulator"} 1.0' in metrics
    assert s.payment(pid)["amount_captured"] == taken["amount_captured"]
    assert [t[0] for t in trail(s, pid)].count("payment.capture_requested") == 1


def late_success(s: LiveServer, order_id: str) -> str:
    """An open checkout the order system cancels; the customer's payment still goes through afterwards."""
    created = s.checkout(order_id, 2_500, "USD", callback_url=f"{UNREACHABLE}/hooks")
    assert created.status_code == 201, created.text
    pid: str = created.json()["id"]
    assert cancel(s, pid).json()["status"] == "cancelled"
    data = {"payment_id": pid, "amount": 2_500, "currency": "USD"}
    assert s.simulator_webhook("payment.succeeded", data).status_code == 200
    return pid


def notification_body(s: LiveServer, payment_id: str, event_type: str) -> dict[str, Any]:
    def listed() -> list[dict[str, Any]]:
        page = s.get("/api/v1/notifications", key="admin").json()["data"]
        return [n for n in page if (n["payment_id"], n["event_type"]) == (payment_id, event_type)]

    wait_for(s, "/api/v1/notifications", lambda _: bool(listed()))
    detail = s.get(f"/api/v1/notifications/{listed()[0]['id']}", key="admin").json()
    body: dict[str, Any] = json.loads(detail["body"])
    return body


def test_paid_after_cancel_is_kept_flagged_and_reported(database_url: str, api_keys: dict[str, str]) -> None:
    for s in serve(database_url, api_keys, run_worker=True, callback_secret=CALLBACK_SECRET):
        pid = late_success(s, "cap-late")
        paid = s.payment(pid)
        assert (paid["status"], paid["paid_after_cancel"], paid["refunds"]) == ("succeeded", True, [])
        assert trail(s, pid)[-2:] == [("payment.cancelled", "cancelled"), ("payment.succeeded", "succeeded")]
        summary = s.get("/api/v1/reconciliation/summary", key="admin").json()
        assert summary["discrepancies"]["paid_after_cancel"] == {"count": 1, "ids": [pid]}
        notified = notification_body(s, pid, "payment.succeeded")
        assert (notified["type"], notified["data"]["paid_after_cancel"]) == ("payment.succeeded", True)
        # `data` is the payment as the relay found it (callback_body.py): by then, paid
        assert notification_body(s, pid, "payment.cancelled")["type"] == "payment.cancelled"


def test_paid_after_cancel_is_refunded_in_full_once_when_configured(
    database_url: str, api_keys: dict[str, str]
) -> None:
    for s in serve(database_url, api_keys, run_worker=True, refund_paid_after_cancel=True):
        pid = late_success(s, "cap-late-refund")
        refunded = wait_for(s, f"/api/v1/payments/{pid}", lambda p: p["status"] == "refunded")
        assert (refunded["status"], refunded["amount_refunded"], refunded["paid_after_cancel"]) == (
            "refunded",
            2_500,
            True,
        )
        assert [(r["amount"], r["status"]) for r in refunded["refunds"]] == [(2_500, "succeeded")]
        data = {"payment_id": pid, "amount": 2_500, "currency": "USD"}
        assert s.simulator_webhook("payment.succeeded", data).status_code == 200  # the success told again
        wait_for(s, f"/api/v1/payments/{pid}", lambda p: False, timeout=1.0)  # the relay has had its chance
        assert len(s.payment(pid)["refunds"]) == 1
