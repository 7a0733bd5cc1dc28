"""The reconciliation summary: grouped aggregates over created_at ranges, each answered from an index that starts
with the filtered column (`(status, created_at, id)`, `(created_at, id)`, `(provider, received_at)`), in one
read transaction so the numbers agree with each other.

Every statement is written once: the window (`since`, `until`), the threshold for "stuck" (`stuck_until`, the
earlier of `stuck_before` and `until`) and the sample size are bind parameters, so each compiles once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from application.data.reconciliation import (
    Discrepancies,
    IdSample,
    MoneyGroup,
    Overview,
    ReconciliationSummary,
    WebhookTrouble,
)
from domain.payments.events import PaymentSucceeded
from domain.payments.status import PAID_STATUSES
from infrastructure.db.sql.database import Database
from infrastructure.db.sql.runner import Row, Runner
from infrastructure.db.tables import payment_events, payments, refunds, webhook_events

_PAID = tuple(sorted(s.value for s in PAID_STATUSES))
_TROUBLE = ("dead", "failed")
_CONFIRMING_SOURCES = ("webhook", "worker")  # a provider's webhook, or the janitor asking the provider


def _within(moment: sa.ColumnElement[Any], until: str = "until") -> sa.ColumnElement[bool]:
    return sa.and_(moment >= sa.bindparam("since"), moment < sa.bindparam(until))


def _count_and_sum(table: sa.Table) -> tuple[sa.ColumnElement[Any], ...]:
    total = sa.cast(sa.func.coalesce(sa.func.sum(table.c.amount), 0), sa.BigInteger)  # Postgres: NUMERIC
    return sa.func.count().label("count"), total.label("amount")


_PAYMENT_GROUPS = (
    sa.select(payments.c.provider, payments.c.status, payments.c.currency, *_count_and_sum(payments))
    .where(_within(payments.c.created_at))
    .group_by(payments.c.provider, payments.c.status, payments.c.currency)
)
_REFUND_GROUPS = (
    sa.select(payments.c.provider, refunds.c.status, refunds.c.currency, *_count_and_sum(refunds))
    .select_from(refunds.join(payments, payments.c.id == refunds.c.payment_id))
    .where(_within(refunds.c.created_at))
    .group_by(payments.c.provider, refunds.c.status, refunds.c.currency)
)
_WEBHOOK_TROUBLE = (
    sa.select(webhook_events.c.provider, webhook_events.c.status, sa.func.count().label("count"))
    .where(webhook_events.c.status.in_(_TROUBLE), _within(webhook_events.c.received_at))
    .group_by(webhook_events.c.provider, webhook_events.c.status)
    .order_by(webhook_events.c.provider, webhook_events.c.status)
)


class _Sample(NamedTuple):
    """Over a statement selecting (id, created_at): how many rows it has, and the oldest `sample_limit` ids."""

    total: sa.Select[Any]
    oldest: sa.Select[Any]

    @classmethod
    def of(cls, statement: sa.Select[Any]) -> _Sample:
        rows = statement.subquery()
        return cls(
            sa.select(sa.func.count().label("count")).select_from(rows),
            sa.select(rows.c.id)
            .order_by(rows.c.created_at, rows.c.id)
            .limit(sa.bindparam("sample_limit", type_=sa.Integer)),
        )


_STUCK_PAYMENTS = _Sample.of(
    sa.select(payments.c.id, payments.c.created_at).where(
        payments.c.status == "processing", _within(payments.c.created_at, "stuck_until")
    )
)
_STUCK_REFUNDS = _Sample.of(
    sa.select(refunds.c.id, refunds.c.created_at).where(
        refunds.c.status == "pending", _within(refunds.c.created_at, "stuck_until")
    )
)
_OVER_REFUNDED = _Sample.of(
    sa.select(payments.c.id, payments.c.created_at)
    .select_from(payments.join(refunds, refunds.c.payment_id == payments.c.id))
    .where(_within(payments.c.created_at), refunds.c.status == "succeeded")
    .group_by(payments.c.id, payments.c.created_at, payments.c.amount, payments.c.amount_captured)
    .having(sa.func.sum(refunds.c.amount) > sa.func.coalesce(payments.c.amount_captured, payments.c.amount))
)  # more given back than was taken (a partial capture took less than the amount)
_PAID_AFTER_CANCEL = _Sample.of(
    sa.select(payments.c.id, payments.c.created_at).where(
        _within(payments.c.created_at), payments.c.paid_after_cancel == sa.true()
    )
)
_CONFIRMED = (
    sa.select(payment_events.c.id)
    .where(
        payment_events.c.payment_id == payments.c.id,
        payment_events.c.type == PaymentSucceeded.name,
        payment_events.c.source.in_(_CONFIRMING_SOURCES),
    )
    .exists()
)
_UNCONFIRMED = _Sample.of(
    sa.select(payments.c.id, payments.c.created_at).where(
        _within(payments.c.created_at), payments.c.status.in_(_PAID), ~_CONFIRMED
    )
)


class SqlReconciliationQuery:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def summary(
        self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int
    ) -> ReconciliationSummary:
        window = {"since": since, "until": until, "stuck_until": min(stuck_before, until), "sample_limit": sample_limit}
        async with self._db.transaction(write=False) as tx:
            payment_groups = _money_groups(await tx.fetch(_PAYMENT_GROUPS, **window))
            refund_groups = _money_groups(await tx.fetch(_REFUND_GROUPS, **window))
            stuck = await _sample(tx, _STUCK_PAYMENTS, window)
            trouble = await _webhook_trouble(tx, window)
            discrepancies = Discrepancies(
                over_refunded=await _sample(tx, _OVER_REFUNDED, window),
                paid_without_confirmation=await _sample(tx, _UNCONFIRMED, window),
                refunds_stuck_pending=await _sample(tx, _STUCK_REFUNDS, window),
                paid_after_cancel=await _sample(tx, _PAID_AFTER_CANCEL, window),
            )
        return ReconciliationSummary(
            since, until, stuck_before, payment_groups, refund_groups, stuck, trouble, discrepancies
        )

    async def overview(self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int) -> Overview:
        """The console's overview: the same statements as the summary's first part, none of its discrepancy checks."""
        window = {"since": since, "until": until, "stuck_until": min(stuck_before, until), "sample_limit": sample_limit}
        async with self._db.transaction(write=False) as tx:
            payment_groups = _money_groups(await tx.fetch(_PAYMENT_GROUPS, **window))
            stuck = await _sample(tx, _STUCK_PAYMENTS, window)
            trouble = await _webhook_trouble(tx, window)
        return Overview(since, until, payment_groups, stuck, trouble)


async def _webhook_trouble(runner: Runner, window: dict[str, Any]) -> tuple[WebhookTrouble, ...]:
    rows = await runner.fetch(_WEBHOOK_TROUBLE, **window)
    return tuple(WebhookTrouble(row["provider"], row["status"], row["count"]) for row in rows)


def _money_groups(rows: list[Row]) -> tuple[MoneyGroup, ...]:
    groups = (MoneyGroup(row["provider"], row["status"], row["currency"], row["count"], row["amount"]) for row in rows)
    return tuple(sorted(groups, key=lambda g: (g.provider, g.status, g.currency)))


async def _sample(runner: Runner, sample: _Sample, window: dict[str, Any]) -> IdSample:
    count = await runner.fetch_value(sample.total, **window)
    return IdSample(count, tuple(row["id"] for row in await runner.fetch(sample.oldest, **window)))
