"""A domain event waiting in the outbox, as the relay sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: str  # the event id (`evt_…`), also the audit row's id: consumers dedupe on it
    event_type: str
    payment_id: str
    payload: Mapping[str, Any]  # the envelope: id, type, occurred_at, payment_id, order_id, statuses, data
    created_at: datetime
    attempts: int
    trace_context: str | None = None  # the writer's traceparent, continued by the relay (tracing on)
