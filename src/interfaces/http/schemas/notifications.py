"""GET /api/v1/notifications…: outgoing order callbacks and their delivery attempts, for admins."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from application.data.notifications import Notification, NotificationAttempt, NotificationDetail, NotificationPage
from interfaces.http.schemas.common import utc, utc_or_none


class NotificationResponse(Struct, kw_only=True):
    id: str
    event_id: str
    event_type: str
    payment_id: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None  # null once delivered or dead: nothing more is scheduled
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None

    @classmethod
    def from_notification(cls, n: Notification) -> NotificationResponse:
        scheduled = n.status.value in ("pending", "failed")
        return cls(
            id=n.id,
            event_id=n.event_id,
            event_type=n.event_type,
            payment_id=n.payment_id,
            url=n.url,
            status=n.status.value,
            attempts=n.attempts,
            next_attempt_at=utc(n.next_attempt_at) if scheduled else None,
            created_at=utc(n.created_at),
            delivered_at=utc_or_none(n.delivered_at),
            last_status_code=n.last_status_code,
            last_error=n.last_error,
        )


class NotificationPageResponse(Struct, kw_only=True):
    data: list[NotificationResponse]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: NotificationPage) -> NotificationPageResponse:
        return cls(data=[NotificationResponse.from_notification(n) for n in page.data], next_cursor=page.next_cursor)


class NotificationAttemptResponse(Struct, kw_only=True):
    id: str
    at: datetime
    outcome: str
    status_code: int | None
    latency_ms: int
    error: str | None
    worker: str | None

    @classmethod
    def from_attempt(cls, a: NotificationAttempt) -> NotificationAttemptResponse:
        return cls(
            id=a.id,
            at=utc(a.at),
            outcome=a.outcome,
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            error=a.error,
            worker=a.worker,
        )


class NotificationDetailResponse(Struct, kw_only=True):
    """The notification, the exact body it sends (our own JSON, so safe to show as text) and every attempt."""

    notification: NotificationResponse
    body: str
    attempts: list[NotificationAttemptResponse]

    @classmethod
    def from_detail(cls, detail: NotificationDetail) -> NotificationDetailResponse:
        return cls(
            notification=NotificationResponse.from_notification(detail.notification),
            body=detail.notification.body.decode("utf-8", "replace"),
            attempts=[NotificationAttemptResponse.from_attempt(a) for a in detail.attempts],
        )
