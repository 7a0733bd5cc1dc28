"""The webhook inbox on the asyncpg connection (the Postgres fast path, see asyncpg_payment_repository.py).

Same contract as `SqlAlchemyWebhookInbox`: one statement records a new event (`ON CONFLICT DO NOTHING` on
(provider, event id); a concurrent duplicate waits on the unique index for the first transaction), a second one
only for a duplicate, to find the stored row.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg  # type: ignore[import-untyped]  # ships no type information

from application.data.webhook_events import InboxEntry, InboxReceipt, InboxStatus
from infrastructure.db.driver_sql import to_json
from infrastructure.db.errors import store_errors
from infrastructure.db.webhook_inbox import FIRST_RETRY_DELAY

_RECORD = (
    "INSERT INTO webhook_events (id, provider, event_id, event_type, status, headers, body, received_at, attempts) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ON CONFLICT (provider, event_id) DO NOTHING RETURNING id"
)
_EXISTING = "SELECT id FROM webhook_events WHERE provider = $1 AND event_id = $2"
# A failed event counts an attempt and is due again after FIRST_RETRY_DELAY; any other outcome is not due again.
_MARK = (
    "UPDATE webhook_events SET status = $2, reason = $3, processed_at = $4, payment_id = COALESCE($5, payment_id), "
    "attempts = attempts + $6, next_attempt_at = $7 WHERE id = $1"
)


class AsyncpgWebhookInbox:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def record(self, entry: InboxEntry) -> InboxReceipt:
        with store_errors():
            inserted = await self._connection.fetchval(
                _RECORD,
                entry.id,
                entry.provider,
                entry.event_id,
                entry.event_type,
                InboxStatus.RECEIVED.value,
                to_json(dict(entry.headers)),
                entry.body,
                entry.received_at,
            )
            if inserted is not None:
                return InboxReceipt(inserted, duplicate=False)
            return InboxReceipt(await self._connection.fetchval(_EXISTING, entry.provider, entry.event_id), True)

    async def mark(
        self, entry_id: str, status: InboxStatus, *, reason: str | None, payment_id: str | None, at: datetime
    ) -> None:
        failed = status is InboxStatus.FAILED
        with store_errors():
            await self._connection.execute(
                _MARK,
                entry_id,
                status.value,
                reason,
                at,
                payment_id,
                1 if failed else 0,
                at + FIRST_RETRY_DELAY if failed else None,
            )
