"""What the alert rules watch in the database, read when /metrics is scraped: one statement, one round trip.

Each part is a range of an index that leads with the status: `(status, created_at, id)` on payments and
refunds, `(status, next_attempt_at)` on notifications and webhook events; the waiting notifications (normally
few) are read for the oldest one's age. The thresholds match the reconciliation summary's ("stuck": an hour).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from application.data.notifications import NotificationStatus
from application.data.webhook_events import InboxStatus
from domain.payments.status import PaymentStatus, RefundStatus
from infrastructure.db.sql.database import Database
from infrastructure.db.tables import notifications, payments, refunds, webhook_events
from infrastructure.metrics.scrape_gauges import OperationsReading

STUCK_AFTER = timedelta(hours=1)
_WAITING = (NotificationStatus.PENDING.value, NotificationStatus.FAILED.value)


def _count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()


def _before(column: sa.Column[Any]) -> sa.ColumnElement[bool]:
    return column < sa.bindparam("stuck_before", type_=column.type)


_READING = sa.select(
    _count(payments, payments.c.status == PaymentStatus.PROCESSING.value, _before(payments.c.created_at)).label(
        "stuck_payments"
    ),
    _count(refunds, refunds.c.status == RefundStatus.PENDING.value, _before(refunds.c.created_at)).label(
        "stuck_refunds"
    ),
    _count(notifications, notifications.c.status.in_(_WAITING)).label("notifications_waiting"),
    sa.select(notifications.c.created_at)
    .where(notifications.c.status.in_(_WAITING))
    .order_by(notifications.c.created_at)
    .limit(1)
    .scalar_subquery()
    .label("oldest_waiting_since"),
    _count(webhook_events, webhook_events.c.status == InboxStatus.DEAD.value).label("webhook_events_dead"),
)


class SqlOperationsReadings:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def read(self, now: datetime) -> OperationsReading:
        row = await self._db.fetch_one(_READING, stuck_before=now - STUCK_AFTER)
        assert row is not None  # a select without FROM always answers one row
        oldest: datetime | None = row["oldest_waiting_since"]
        return OperationsReading(
            stuck_payments=int(row["stuck_payments"]),
            stuck_refunds=int(row["stuck_refunds"]),
            notifications_waiting=int(row["notifications_waiting"]),
            oldest_notification_waiting_seconds=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
            webhook_events_dead=int(row["webhook_events_dead"]),
        )
