"""Received webhook events (the inbox), as recorded and as stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class InboxStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class InboxEntry:
    id: str
    provider: str
    event_id: str
    event_type: str
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Applied:
    """An event recorded as applied in the transaction that records it (WebhookInbox.record)."""

    at: datetime
    payment_id: str | None


@dataclass(frozen=True, slots=True)
class InboxReceipt:
    id: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class StoredWebhook:
    """One row of the webhook inbox, as it was received (raw body and headers without credentials)."""

    id: str
    provider: str
    event_id: str
    event_type: str
    status: InboxStatus
    reason: str | None
    payment_id: str | None
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    # when the retention job dropped `body` and `headers` (now empty); the row itself is kept
    body_purged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebhookEventFilter:
    provider: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookEventPage:
    data: tuple[StoredWebhook, ...]
    next_cursor: str | None
