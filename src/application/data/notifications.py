"""Order callbacks (notifications) and their delivery attempts, as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NotificationStatus(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class NewNotification:
    id: str  # `ntf_…`, also inside `body`
    event_id: str
    event_type: str
    payment_id: str
    url: str
    body: bytes
    created_at: datetime
    trace_context: str | None = None  # the relay's traceparent, continued by the delivery (tracing on)


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    event_id: str
    event_type: str
    payment_id: str
    url: str
    body: bytes
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    trace_context: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationAttempt:
    id: str
    notification_id: str
    at: datetime
    outcome: str  # delivered | failed
    status_code: int | None
    latency_ms: int
    error: str | None
    worker: str | None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """An attempt and where it leaves its notification: `status`, tried again at `next_attempt_at` when failed."""

    attempt: NotificationAttempt
    status: NotificationStatus
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class NotificationDetail:
    notification: Notification
    attempts: tuple[NotificationAttempt, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class NotificationPage:
    data: tuple[Notification, ...]
    next_cursor: str | None
