"""Each callback attempt's log line says what happened: the receiver's HTTP status, or that no answer came and
why (never `HTTP None`); the attempt stored for admins says the same."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import pytest

from application.data.callbacks import DeliveryResult
from application.data.notifications import AttemptRecord, NotificationAttempt
from application.worker.deliver_notifications import DeliverNotifications
from tests.unit.application.test_metrics_counting import _Due, _notification
from tests.unit.fakes import T0, harness


class _Answers:
    def __init__(self, result: DeliveryResult) -> None:
        self.result = result

    async def post(self, url: str, body: bytes) -> DeliveryResult:
        return self.result


class _Remembering(_Due):
    def __init__(self) -> None:
        super().__init__(_notification(1, "https://orders.example/events"))
        self.attempts: list[NotificationAttempt] = []

    async def record_attempts(self, records: Sequence[AttemptRecord]) -> None:
        self.attempts.extend(record.attempt for record in records)


@pytest.mark.parametrize(
    ("result", "said", "stored"),
    [
        (DeliveryResult(200, 12, None), "delivered (HTTP 200 in 12 ms)", None),
        (DeliveryResult(500, 15, "HTTP 500"), "failed (HTTP 500 in 15 ms)", "HTTP 500"),
        (
            DeliveryResult(None, 10_003, "timed out (ReadTimeout)"),
            "failed (no response after 10003 ms: timed out (ReadTimeout))",
            "timed out (ReadTimeout)",
        ),
        (
            DeliveryResult(None, 2, "ConnectError: All connection attempts failed"),
            "failed (no response after 2 ms: ConnectError: All connection attempts failed)",
            "ConnectError: All connection attempts failed",
        ),
        (DeliveryResult(None, 2, None), "failed (no response after 2 ms: no reason given)", "no response"),
    ],
)
async def test_the_attempt_is_logged_as_what_happened(
    caplog: pytest.LogCaptureFixture, result: DeliveryResult, said: str, stored: str | None
) -> None:
    store = _Remembering()
    h = harness(notification_store=store, callback_sender=_Answers(result))
    h.clock.set(T0 + timedelta(minutes=1))
    with caplog.at_level(logging.INFO, logger="application.worker.deliver_notifications"):
        await h.send(DeliverNotifications("w1"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "application.worker.deliver_notifications"]
    assert line == f"notification ntf_1 to https://orders.example/events: {said}"
    assert "None" not in line
    assert [attempt.error for attempt in store.attempts] == [stored]
