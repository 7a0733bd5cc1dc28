"""Outbox messages for the broker tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from application.data.outbox import OutboxMessage


def outbox_message(event_type: str = "payment.succeeded", *, payment_id: str | None = None) -> OutboxMessage:
    """An outbox row as the relay claims it: the envelope, with a fresh event id."""
    event_id = f"evt_{uuid.uuid4().hex}"
    payment = payment_id or f"pay_{uuid.uuid4().hex}"
    occurred = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    payload = {
        "id": event_id,
        "type": event_type,
        "occurred_at": occurred,
        "payment_id": payment,
        "order_id": "order-123",
        "from_status": "processing",
        "to_status": "succeeded",
        "data": {"amount": 9999, "currency": "USD"},
    }
    return OutboxMessage(event_id, event_type, payment, payload, occurred, attempts=0)


def expected_body(message: OutboxMessage) -> dict[str, Any]:
    """The envelope as consumers see it after JSON: timestamps as RFC 3339 with `Z`."""
    return {**message.payload, "occurred_at": "2026-01-02T03:04:05.678000Z"}
