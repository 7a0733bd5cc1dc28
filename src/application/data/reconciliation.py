"""The reconciliation summary: money per provider, status and currency; what needs a look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MoneyGroup:
    """Payments (or refunds) of one provider, status and currency: how many, and their sum in minor units."""

    provider: str
    status: str
    currency: str
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class WebhookTrouble:
    provider: str
    status: str  # failed | dead
    count: int


@dataclass(frozen=True, slots=True)
class IdSample:
    """How many rows match, and the ids of the oldest `limit` of them."""

    count: int
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Discrepancies:
    over_refunded: IdSample  # payments whose succeeded refunds exceed their amount
    paid_without_confirmation: IdSample  # paid payments with no succeeded audit row from a webhook or the janitor
    refunds_stuck_pending: IdSample  # refunds pending since before the threshold
    # succeeded after we had cancelled or expired them: money the order system may not expect (refund it, or
    # let PAYMENTS_REFUND_PAID_AFTER_CANCEL do so)
    paid_after_cancel: IdSample = IdSample(0, ())


@dataclass(frozen=True, slots=True)
class ReconciliationSummary:
    since: datetime
    until: datetime
    stuck_before: datetime
    payments: tuple[MoneyGroup, ...]
    refunds: tuple[MoneyGroup, ...]
    stuck_payments: IdSample  # processing since before `stuck_before`
    webhook_events: tuple[WebhookTrouble, ...]
    discrepancies: Discrepancies


@dataclass(frozen=True, slots=True)
class Overview:
    """The console's overview: the summary's cheap part (no discrepancy checks), read on every page view."""

    since: datetime
    until: datetime
    payments: tuple[MoneyGroup, ...]
    stuck_payments: IdSample  # processing since before the stuck threshold
    webhook_events: tuple[WebhookTrouble, ...]
