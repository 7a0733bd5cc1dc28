"""Every statement the payment repository runs, each written once in Core (compiled per dialect by the seam).

Writes of a payment carry its audit and outbox rows (`Guarded`): one statement on Postgres, one guarded sequence
on SQLite, so the change and its events are written together or not at all. The janitor's schedule columns
(`checks`, `next_check_at`) are the janitor store's, with one exception: reserving a capture makes the payment due at once,
so the janitor's next pass asks about it (a capture whose answer timed out is settled by that lookup, not days
later when the hold ends).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from infrastructure.db.sql.guarded import TOUCHED, Guarded
from infrastructure.db.sql.json_rows import insert_rows
from infrastructure.db.tables import LIVE_STATUS_VALUES, outbox, payment_events, payments, refunds
from infrastructure.db.write.payment_mapper import select_with_refunds

_JANITOR_COLUMNS = frozenset({"checks", "next_check_at"})
STORED = tuple(c.name for c in payments.c if c.name not in _JANITOR_COLUMNS)  # payment_values + version
UPDATED = tuple(name for name in STORED if name not in ("id", "order_id", "created_at", "version"))
REFUND = tuple(c.name for c in refunds.c if c.name not in _JANITOR_COLUMNS)
REFUND_CHANGES = tuple(name for name in REFUND if name not in ("id", "payment_id", "provider", "created_at"))
REFUND_LOADED = tuple(name for name in REFUND if name not in ("payment_id", "provider"))  # the payment's own
AUDIT = tuple(payment_events.c.keys())
OUTBOX = (
    *("id", "event_type", "aggregate_id", "payload", "status", "attempts", "next_attempt_at", "created_at"),
    "trace_context",
)


def _bound(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: sa.bindparam(name) for name in names}


_EVENTS = ((payment_events, "audit", AUDIT), (outbox, "outbox", OUTBOX))

GET = select_with_refunds(payments.c.id == sa.bindparam("id"))
# The partial unique index's own predicate, its values inlined as literals so that the planner can use the index.
_LIVE_STATUSES: sa.BindParameter[str] = sa.bindparam("live", LIVE_STATUS_VALUES, expanding=True, literal_execute=True)
LIVE_FOR_ORDER = select_with_refunds(
    sa.and_(
        payments.c.order_id == sa.bindparam("order_id"),
        payments.c.status.in_(_LIVE_STATUSES),
        payments.c.paid_after_cancel == sa.false(),
    )
)
BY_REFERENCE = select_with_refunds(
    sa.and_(payments.c.provider_reference == sa.bindparam("reference"), payments.c.provider == sa.bindparam("provider"))
)


# Under READ COMMITTED a `FOR UPDATE` that waits re-reads only the locked row; a join in the same statement would
# still come from the snapshot taken before the wait. So: lock the row, then read its refunds in a new statement,
# which sees everything the transaction we waited for committed (concurrent refunds see each other's reservations).
def locking(key: str) -> sa.Select[Any]:
    """The payment row whose id is bound to `key`, locked (also the inbox's CTE: locked_payments.py)."""
    return sa.select(*(payments.c[name] for name in STORED)).where(payments.c.id == sa.bindparam(key)).with_for_update()


LOCK = locking("id")
REFUNDS_OF = (
    sa.select(*(refunds.c[name] for name in REFUND_LOADED))
    .where(refunds.c.payment_id == sa.bindparam("payment_id"))
    .order_by(refunds.c.created_at, refunds.c.id)
)

# SET expressions read the row as it was: a capture that was not reserved and now is
_CAPTURE_RESERVED = sa.and_(payments.c.capture_requested.is_(None), sa.bindparam("capture_requested").is_not(None))
_NEXT_CHECK = sa.case((_CAPTURE_RESERVED, sa.bindparam("updated_at")), else_=payments.c.next_check_at)

ADD = Guarded(sa.insert(payments).values(_bound(STORED)).returning(TOUCHED), _EVENTS)
SAVE = Guarded(
    sa.update(payments)
    .where(payments.c.id == sa.bindparam("id"), payments.c.version == sa.bindparam("expected_version"))
    .values({**_bound(UPDATED), "version": payments.c.version + 1, "next_check_at": _NEXT_CHECK})
    .returning(TOUCHED),
    _EVENTS,
)
INSERT_REFUNDS = insert_rows(refunds, "rows", REFUND)
UPDATE_REFUND = sa.update(refunds).where(refunds.c.id == sa.bindparam("refund_id")).values(_bound(REFUND_CHANGES))
