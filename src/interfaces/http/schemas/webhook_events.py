"""Admin views of received provider webhook events: the list, one event with headers and raw body, a replay."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

from msgspec import Struct

from application.data.webhook_events import StoredWebhook, WebhookEventPage
from interfaces.http.schemas.common import utc, utc_or_none

WebhookEventStatus = Literal["received", "processed", "ignored", "failed", "dead"]


class WebhookEventResponse(Struct, kw_only=True):
    id: str
    provider: str
    event_id: str
    event_type: str
    status: str
    reason: str | None
    payment_id: str | None
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    next_attempt_at: datetime | None

    @classmethod
    def from_view(cls, view: StoredWebhook) -> WebhookEventResponse:
        return cls(**_summary(view))


class WebhookEventDetailResponse(WebhookEventResponse, kw_only=True):
    """The event as received: `body` is the raw body as UTF-8 text, or base64 (`body_encoding`) when it is not
    text. Headers are lower-cased; credentials were never stored. After PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS the
    body and headers are purged: `body_purged` is true, `body_purged_at` says when, `body` and `body_encoding`
    are null and `headers` is empty (the row's id, provider, type, outcome and timestamps stay)."""

    headers: dict[str, str]
    body: str | None
    body_encoding: Literal["utf-8", "base64"] | None
    body_purged: bool
    body_purged_at: datetime | None

    @classmethod
    def from_view(cls, view: StoredWebhook) -> WebhookEventDetailResponse:
        purged = view.body_purged_at is not None
        body, encoding = (None, None) if purged else body_as_text(view.body)
        return cls(
            **_summary(view),
            headers=dict(view.headers),
            body=body,
            body_encoding=encoding,
            body_purged=purged,
            body_purged_at=utc_or_none(view.body_purged_at),
        )


class WebhookEventPageResponse(Struct, kw_only=True):
    """Newest first; pass `next_cursor` as `cursor` for the next page (null on the last)."""

    data: list[WebhookEventResponse]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: WebhookEventPage) -> WebhookEventPageResponse:
        return cls(data=[WebhookEventResponse.from_view(v) for v in page.data], next_cursor=page.next_cursor)


def body_as_text(body: bytes) -> tuple[str, Literal["utf-8", "base64"]]:
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _summary(view: StoredWebhook) -> dict[str, Any]:
    return {
        "id": view.id,
        "provider": view.provider,
        "event_id": view.event_id,
        "event_type": view.event_type,
        "status": view.status.value,
        "reason": view.reason,
        "payment_id": view.payment_id,
        "attempts": view.attempts,
        "received_at": utc(view.received_at),
        "processed_at": utc_or_none(view.processed_at),
        "next_attempt_at": utc_or_none(view.next_attempt_at),
    }
