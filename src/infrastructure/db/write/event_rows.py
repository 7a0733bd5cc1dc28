"""Domain events → audit-trail rows and outbox rows, sharing one `evt_…` id so consumers can correlate them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from application.data.cause import Cause
from domain.payments.events import PaymentEvent


def json_safe(value: Any) -> Any:
    """Plain JSON values: datetimes as RFC 3339 UTC with `Z`, enums as their values."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_rows(
    events: Sequence[PaymentEvent], cause: Cause, new_id: Callable[[], str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit rows and the outbox rows for `events`, in order."""
    audit: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for event in events:
        event_id = new_id()
        from_status = event.from_status.value if event.from_status else None
        to_status = event.to_status.value if event.to_status else None
        data = json_safe(event.data())
        audit.append(
            {
                "id": event_id,
                "payment_id": event.payment_id,
                "at": event.occurred_at,
                "type": event.name,
                "from_status": from_status,
                "to_status": to_status,
                "source": cause.source,
                "actor": cause.actor,
                "provider_event_id": cause.provider_event_id,
                "data": data,
            }
        )
        envelope = {
            "id": event_id,
            "type": event.name,
            "occurred_at": rfc3339(event.occurred_at),
            "payment_id": event.payment_id,
            "order_id": event.order_id,
            "from_status": from_status,
            "to_status": to_status,
            "source": cause.source,
            "actor": cause.actor,
            "provider_event_id": cause.provider_event_id,
            "data": data,
        }
        pending.append(
            {
                "id": event_id,
                "event_type": event.name,
                "aggregate_id": event.payment_id,
                "payload": envelope,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": event.occurred_at,  # due at once
                "created_at": event.occurred_at,
            }
        )
    return audit, pending
