"""No event is lost when receivers fail or workers die: proved with real worker processes on Postgres."""

from __future__ import annotations

import time

import pytest

from infrastructure.providers.signing import verify
from tests.e2e.conftest import LiveServer
from tests.faults.conftest import CALLBACK_SECRET, Receiver, Workers, eventually

pytestmark = pytest.mark.postgres


def paid(api: LiveServer, order_id: str) -> str:
    payment_id: str = api.paid_payment(order_id, 4_200)["id"]
    return payment_id


def notification(api: LiveServer, payment_id: str) -> dict[str, object]:
    listed = api.get("/api/v1/notifications", key="admin").json()["data"]
    return next(n for n in listed if n["payment_id"] == payment_id and n["event_type"] == "payment.succeeded")


def test_a_receiver_that_fails_three_times_then_succeeds_gets_the_same_event_each_time(
    api: LiveServer, receiver: tuple[Receiver, str], workers: Workers
) -> None:
    app, _ = receiver
    app.fail_first = 3
    workers.start("w1")

    payment_id = paid(api, "order-flaky-receiver")

    eventually(lambda: any(answer == 200 for _, _, answer in app.requests), what="a delivered callback")
    succeeded = [(h, b, a) for h, b, a in app.requests if b"payment.succeeded" in b]
    assert [answer for _, _, answer in succeeded] == [500, 500, 500, 200]
    assert len({body for _, body, _ in succeeded}) == 1  # the same bytes, hence the same `id`, every time
    for headers, body, _ in succeeded:  # every attempt is signed afresh, and verifies
        verify(headers["payments-signature"], body, [CALLBACK_SECRET], now=int(time.time()), provider="callback")
    event = app.bodies()[0]
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == (
        "payment.succeeded",
        payment_id,
        "succeeded",
    )
    assert event["id"].startswith("ntf_")
    eventually(lambda: notification(api, payment_id)["status"] == "delivered", what="the delivered status")


def test_a_worker_killed_in_the_middle_of_a_delivery_is_replaced_and_the_event_arrives(
    api: LiveServer, receiver: tuple[Receiver, str], workers: Workers
) -> None:
    app, _ = receiver
    app.hang_first = 1  # the first delivery never gets an answer: its worker dies waiting
    workers.start("doomed")
    payment_id = paid(api, "order-killed-worker")
    eventually(lambda: len(app.requests) == 1, what="the first worker's delivery to start")

    workers.kill("doomed")
    workers.start("survivor")

    eventually(lambda: any(answer == 200 for _, _, answer in app.requests), what="the survivor's delivery")
    ids = {body["id"] for body in app.bodies() if body["type"] == "payment.succeeded"}
    assert len(ids) == 1  # the same notification: delivered at least once, never lost, never duplicated as new
    eventually(lambda: notification(api, payment_id)["status"] == "delivered", what="the delivered status")
