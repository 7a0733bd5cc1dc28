"""The reconciliation summary on SQLAlchemy Core: grouped aggregates over created_at ranges, each answered from an
index that starts with the filtered column (`(status, created_at, id)`, `(created_at, id)`, `(provider,
received_at)`), in one read transaction so the numbers agree with each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.data.reconciliation import Discrepancies, IdSample, MoneyGroup, ReconciliationSummary, WebhookTrouble
from domain.payments.events import PaymentSucceeded
from domain.payments.status import PAID_STATUSES
from infrastructure.db.engine import for_reads
from infrastructure.db.errors import store_errors
from infrastructure.db.tables import payment_events, payments, refunds, webhook_events

_PAID = tuple(sorted(s.value for s in PAID_STATUSES))
_TROUBLE = ("dead", "failed")
_CONFIRMING_SOURCES = ("webhook", "worker")  # a provider's webhook, or the janitor asking the provider


class SqlAlchemyReconciliationQuery:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = for_reads(engine)

    async def summary(
        self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int
    ) -> ReconciliationSummary:
        paid_in_window = sa.and_(payments.c.created_at >= since, payments.c.created_at < until)
        refunded_in_window = sa.and_(refunds.c.created_at >= since, refunds.c.created_at < until)
        with store_errors():
            async with self._engine.connect() as db:
                payment_groups = await _money_groups(
                    db,
                    sa.select(payments.c.provider, payments.c.status, payments.c.currency, *_count_and_sum(payments))
                    .where(paid_in_window)
                    .group_by(payments.c.provider, payments.c.status, payments.c.currency),
                )
                refund_groups = await _money_groups(
                    db,
                    sa.select(payments.c.provider, refunds.c.status, refunds.c.currency, *_count_and_sum(refunds))
                    .select_from(refunds.join(payments, payments.c.id == refunds.c.payment_id))
                    .where(refunded_in_window)
                    .group_by(payments.c.provider, refunds.c.status, refunds.c.currency),
                )
                stuck = await _sample(
                    db,
                    sa.select(payments.c.id, payments.c.created_at).where(
                        payments.c.status == "processing",
                        payments.c.created_at >= since,
                        payments.c.created_at < min(stuck_before, until),
                    ),
                    sample_limit,
                )
                trouble = await _webhook_trouble(db, since, until)
                discrepancies = Discrepancies(
                    over_refunded=await _sample(db, _over_refunded(paid_in_window), sample_limit),
                    paid_without_confirmation=await _sample(db, _unconfirmed(paid_in_window), sample_limit),
                    refunds_stuck_pending=await _sample(
                        db,
                        sa.select(refunds.c.id, refunds.c.created_at).where(
                            refunds.c.status == "pending",
                            refunds.c.created_at >= since,
                            refunds.c.created_at < min(stuck_before, until),
                        ),
                        sample_limit,
                    ),
                )
        return ReconciliationSummary(
            since, until, stuck_before, payment_groups, refund_groups, stuck, trouble, discrepancies
        )


def _count_and_sum(table: sa.Table) -> tuple[sa.ColumnElement[Any], ...]:
    return (
        sa.func.count().label("count"),
        sa.func.coalesce(sa.func.sum(table.c.amount), 0).label("amount"),
    )


async def _money_groups(db: AsyncConnection, statement: sa.Select[Any]) -> tuple[MoneyGroup, ...]:
    rows = (await db.execute(statement)).all()
    groups = (
        MoneyGroup(provider, status, currency, int(count), int(amount))  # Postgres sums BIGINT as NUMERIC
        for provider, status, currency, count, amount in rows
    )
    return tuple(sorted(groups, key=lambda g: (g.provider, g.status, g.currency)))


async def _webhook_trouble(db: AsyncConnection, since: datetime, until: datetime) -> tuple[WebhookTrouble, ...]:
    statement = (
        sa.select(webhook_events.c.provider, webhook_events.c.status, sa.func.count())
        .where(
            webhook_events.c.status.in_(_TROUBLE),
            webhook_events.c.received_at >= since,
            webhook_events.c.received_at < until,
        )
        .group_by(webhook_events.c.provider, webhook_events.c.status)
        .order_by(webhook_events.c.provider, webhook_events.c.status)
    )
    return tuple(WebhookTrouble(p, s, int(n)) for p, s, n in (await db.execute(statement)).all())


def _over_refunded(window: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(payments.c.id, payments.c.created_at)
        .select_from(payments.join(refunds, refunds.c.payment_id == payments.c.id))
        .where(window, refunds.c.status == "succeeded")
        .group_by(payments.c.id, payments.c.created_at, payments.c.amount)
        .having(sa.func.sum(refunds.c.amount) > payments.c.amount)
    )


def _unconfirmed(window: sa.ColumnElement[bool]) -> sa.Select[Any]:
    confirmed = (
        sa.select(payment_events.c.id)
        .where(
            payment_events.c.payment_id == payments.c.id,
            payment_events.c.type == PaymentSucceeded.name,
            payment_events.c.source.in_(_CONFIRMING_SOURCES),
        )
        .exists()
    )
    return sa.select(payments.c.id, payments.c.created_at).where(window, payments.c.status.in_(_PAID), ~confirmed)


async def _sample(db: AsyncConnection, statement: sa.Select[Any], limit: int) -> IdSample:
    """`statement` selects (id, created_at): the count of its rows, and the oldest `limit` ids."""
    rows = statement.subquery()
    count = (await db.execute(sa.select(sa.func.count()).select_from(rows))).scalar_one()
    ids = await db.execute(sa.select(rows.c.id).order_by(rows.c.created_at, rows.c.id).limit(limit))
    return IdSample(int(count), tuple(ids.scalars()))
