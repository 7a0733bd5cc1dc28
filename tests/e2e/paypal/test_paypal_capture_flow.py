"""Authorize now, capture later with PayPal, end to end over real HTTP on SQLite and on Postgres: a manual
checkout's order is authorized on approval (`authorized`, the hold shown as `amount_capturable`), captured in
part (refunds limited to what was taken), or voided by a cancel; a capture that times out is never sent again and
is settled by the janitor or by PayPal's webhook; two concurrent captures reach PayPal once.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.db.tables import payments
from tests.e2e.conftest import LiveServer
from tests.e2e.paypal.service import SLOW, deliver
from tests.provider_fakes.paypal import FakePayPal


def held(s: LiveServer, paypal: FakePayPal, order_id: str, amount: int) -> tuple[str, str]:
    """A manual checkout the buyer approved on PayPal: our payment id and PayPal's order id."""
    created = s.checkout(order_id, amount, "USD", provider="paypal", capture="manual")
    assert created.status_code == 201, created.text
    pid, paypal_order = created.json()["id"], created.json()["provider_reference"]
    receipt = deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(paypal_order)))
    assert s.inbox(receipt["id"]) == ("processed", None)
    return pid, paypal_order


def capture(s: LiveServer, pid: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return s.post(f"/api/v1/payments/{pid}/capture", key="orders", headers=headers, json=body)


def cancel(s: LiveServer, pid: str, **body: Any) -> httpx.Response:
    return s.post(f"/api/v1/payments/{pid}/cancel", key="orders", json=body)


def problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["type"].rsplit("/", 1)[1]


def test_authorize_capture_part_and_refund_what_was_taken(server: LiveServer, paypal: FakePayPal) -> None:
    s = server
    pid, order_id = held(s, paypal, "order-ppc-1", 10_000)

    payment = s.payment(pid)
    assert (payment["status"], payment["capture"], payment["amount_capturable"]) == ("authorized", "manual", 10_000)
    assert (payment["capture_pending"], payment["amount_captured"]) == (False, None)
    assert paypal.calls("create_order")[0].json()["intent"] == "AUTHORIZE"
    assert [c.headers["paypal-request-id"] for c in paypal.calls("authorize")] == [f"authorize-{pid}"]
    assert paypal.calls("capture") == []  # held, not taken
    authorization = paypal.authorization_of(order_id)
    late = deliver(s, *paypal.webhook("PAYMENT.AUTHORIZATION.CREATED", authorization))
    assert s.inbox(late["id"])[0] == "ignored"  # we knew already

    unkeyed = s.post(f"/api/v1/payments/{pid}/capture", key="orders", json={"amount": 6_000})
    assert problem(unkeyed) == (400, "idempotency-key-required")
    assert problem(capture(s, pid, amount=10_001)) == (422, "capture-exceeds-authorized")
    assert paypal.calls("capture_authorization") == []

    captured = capture(s, pid, amount=6_000)
    assert captured.status_code == 200, captured.text
    body = captured.json()
    assert (body["status"], body["amount_captured"], body["amount_capturable"]) == ("succeeded", 6_000, 0)
    (sent,) = paypal.calls("capture_authorization")
    assert sent.json() == {"amount": {"currency_code": "USD", "value": "60.00"}, "final_capture": True}
    assert re.fullmatch(rf"capture-{pid}-v\d+", sent.headers["paypal-request-id"])  # one per capture reservation
    completed = deliver(s, *paypal.webhook("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(order_id)))
    assert s.inbox(completed["id"])[0] == "ignored"

    beyond = s.refund(pid, amount=6_001)
    assert problem(beyond) == (422, "refund-exceeds-available")
    refunded = s.refund(pid, amount=6_000)
    assert refunded.status_code == 202, refunded.text
    assert paypal.calls("refund")[0].path == f"/v2/payments/captures/{next(iter(paypal.captures))}/refund"
    after = s.payment(pid)
    assert (after["status"], after["amount_refunded"], after["amount_captured"]) == ("refunded", 6_000, 6_000)
    assert len(paypal.calls("refund")) == 1
    assert problem(cancel(s, pid)) == (409, "payment-not-cancellable")  # paid: refunded, never cancelled

    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    assert [(e["type"], e["to_status"]) for e in trail][:4] == [
        ("payment.initiated", "processing"),
        ("payment.checkout_session_created", "processing"),
        ("payment.authorized", "authorized"),
        ("payment.capture_requested", "authorized"),
    ]
    assert ("payment.succeeded", "succeeded") in [(e["type"], e["to_status"]) for e in trail]


def test_cancel_voids_the_hold_once_and_a_lapsed_hold_expires(server: LiveServer, paypal: FakePayPal) -> None:
    s = server
    pid, order_id = held(s, paypal, "order-ppc-void", 5_000)

    first, again = cancel(s, pid, reason="out of stock"), cancel(s, pid)

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["status"], again.json()["status"]) == ("cancelled", "cancelled")
    assert [v.headers["paypal-request-id"] for v in paypal.calls("void")] == [f"void-{pid}"]
    assert paypal.authorization_of(order_id)["status"] == "VOIDED"
    voided = deliver(s, *paypal.webhook("PAYMENT.AUTHORIZATION.VOIDED", paypal.authorization_of(order_id)))
    assert s.inbox(voided["id"])[0] == "ignored"
    assert problem(capture(s, pid)) == (409, "payment-not-capturable")
    assert paypal.calls("capture_authorization") == []

    lapsing, lapsing_order = held(s, paypal, "order-ppc-lapse", 5_000)
    lapsed = paypal.lapse(paypal.authorization_of(lapsing_order)["id"])  # 29 days later, never captured
    deliver(s, *paypal.webhook("PAYMENT.AUTHORIZATION.VOIDED", lapsed))
    assert s.payment(lapsing)["status"] == "expired"


def test_a_capture_that_times_out_is_never_resent_and_is_settled_later(
    server: LiveServer, paypal: FakePayPal, database_url: str
) -> None:
    s = server
    by_janitor, _ = held(s, paypal, "order-ppc-slow-1", 8_000)
    by_webhook, webhook_order = held(s, paypal, "order-ppc-slow-2", 9_000)

    for pid, amount in ((by_janitor, 7_000), (by_webhook, 9_000)):
        paypal.delay("capture_authorization", SLOW, once=True)  # PayPal captures; its answer comes too late
        timed_out = capture(s, pid, amount=amount)
        assert timed_out.status_code == 200, timed_out.text
        body = timed_out.json()
        assert (body["status"], body["capture_pending"], body["amount_capturable"]) == ("authorized", True, 0)
        assert problem(capture(s, pid)) == (409, "payment-not-capturable")  # one capture per hold
        assert problem(cancel(s, pid)) == (409, "payment-not-cancellable")  # it may have been taken
    assert len(paypal.calls("capture_authorization")) == 2  # one each, never resent

    make_due(database_url, by_janitor)
    run = s.post("/api/v1/reconciliation/runs", key="admin")
    assert run.status_code == 200, run.text
    settled = s.payment(by_janitor)
    assert (settled["status"], settled["amount_captured"], settled["capture_pending"]) == ("succeeded", 7_000, False)

    deliver(s, *paypal.webhook("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(webhook_order)))
    assert (s.payment(by_webhook)["status"], s.payment(by_webhook)["amount_captured"]) == ("succeeded", 9_000)
    assert len(paypal.calls("capture_authorization")) == 2


def test_two_concurrent_captures_reach_paypal_once(server: LiveServer, paypal: FakePayPal) -> None:
    s = server
    pid, _ = held(s, paypal, "order-ppc-race", 4_000)
    paypal.delay("capture_authorization", 0.3)  # both requests are in flight together
    start = threading.Barrier(2)

    def one_capture(key: str) -> httpx.Response:
        with httpx.Client(base_url=s.base_url, timeout=10) as client:
            start.wait()
            headers = {**s.auth("orders"), "Idempotency-Key": key}
            return client.post(f"/api/v1/payments/{pid}/capture", headers=headers, json={"amount": 4_000})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(one_capture, ["race-a", "race-b"]))

    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert problem(refused) == (409, "payment-not-capturable")
    assert len(paypal.calls("capture_authorization")) == 1
    assert s.payment(pid)["status"] == "succeeded"


def make_due(database_url: str, payment_id: str) -> None:
    """As if the janitor's next look at the payment had come (its first check waits 5 minutes)."""

    async def update() -> None:
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as connection:
                due = datetime.now(UTC) - timedelta(seconds=1)
                await connection.execute(
                    sa.update(payments).where(payments.c.id == payment_id).values(next_check_at=due)
                )
        finally:
            await engine.dispose()

    asyncio.run(update())


@pytest.mark.parametrize("capture_mode", ["automatic", "manual"])
def test_an_order_approved_after_we_cancelled_it_is_neither_captured_nor_authorized(
    server: LiveServer, paypal: FakePayPal, capture_mode: str
) -> None:
    """PayPal takes nothing on approval: we would. For a payment the order system called off we do not (a
    provider that took money by itself is another story: paid after cancel)."""
    s = server
    created = s.checkout(f"order-ppc-late-{capture_mode}", 4_000, "USD", provider="paypal", capture=capture_mode)
    pid, paypal_order = created.json()["id"], created.json()["provider_reference"]
    assert cancel(s, pid).json()["status"] == "cancelled"

    receipt = deliver(s, *paypal.webhook("CHECKOUT.ORDER.APPROVED", paypal.approve(paypal_order)))

    status, reason = s.inbox(receipt["id"])
    assert status == "ignored"
    assert reason is not None
    assert "called off" in reason
    assert (paypal.calls("capture"), paypal.calls("authorize")) == ([], [])
    after = s.payment(pid)
    assert (after["status"], after["paid_after_cancel"], after["amount_captured"]) == ("cancelled", False, None)
