"""What was said about one payment besides its audit trail: provider webhooks received, callbacks sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WebhookEventLine:
    id: str
    provider: str
    event_type: str
    status: str
    reason: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CallbackLine:
    id: str
    event_type: str
    url: str
    status: str
    attempts: int
    last_status_code: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentMessages:
    webhook_events: tuple[WebhookEventLine, ...]  # newest first
    callbacks: tuple[CallbackLine, ...]  # newest first
