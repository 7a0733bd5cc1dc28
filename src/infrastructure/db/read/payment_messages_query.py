"""A payment's webhook events and callbacks: two index range reads (`(payment_id, received_at)` and
`(payment_id, created_at)`, migration 0008), summaries only (no bodies)."""

from __future__ import annotations

import sqlalchemy as sa

from application.data.payment_messages import CallbackLine, PaymentMessages, WebhookEventLine
from infrastructure.db.sql.runner import Runner
from infrastructure.db.tables import notifications, webhook_events

_LIMIT = sa.bindparam("limit", type_=sa.Integer)
_EVENTS = (
    sa.select(
        webhook_events.c.id,
        webhook_events.c.provider,
        webhook_events.c.event_type,
        webhook_events.c.status,
        webhook_events.c.reason,
        webhook_events.c.received_at,
    )
    .where(webhook_events.c.payment_id == sa.bindparam("payment_id"))
    .order_by(webhook_events.c.received_at.desc(), webhook_events.c.id.desc())
    .limit(_LIMIT)
)
_CALLBACKS = (
    sa.select(
        notifications.c.id,
        notifications.c.event_type,
        notifications.c.url,
        notifications.c.status,
        notifications.c.attempts,
        notifications.c.last_status_code,
        notifications.c.created_at,
    )
    .where(notifications.c.payment_id == sa.bindparam("payment_id"))
    .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
    .limit(_LIMIT)
)


class SqlPaymentMessages:
    def __init__(self, database: Runner) -> None:
        self._db = database

    async def for_payment(self, payment_id: str, limit: int) -> PaymentMessages:
        events = await self._db.fetch(_EVENTS, payment_id=payment_id, limit=limit)
        callbacks = await self._db.fetch(_CALLBACKS, payment_id=payment_id, limit=limit)
        return PaymentMessages(
            tuple(WebhookEventLine(**dict(row)) for row in events),
            tuple(CallbackLine(**dict(row)) for row in callbacks),
        )
