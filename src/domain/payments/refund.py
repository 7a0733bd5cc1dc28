"""A refund: an entity inside the Payment aggregate (only the payment changes it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.payments.status import RefundStatus
from domain.shared.money import Money


class RefundReason(StrEnum):
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    OTHER = "other"


@dataclass(slots=True)
class Refund:
    id: str
    amount: Money
    reason: RefundReason
    status: RefundStatus
    created_at: datetime
    updated_at: datetime
    note: str | None = None
    provider_reference: str | None = None
    failure_reason: str | None = None

    @classmethod
    def pending(cls, refund_id: str, amount: Money, reason: RefundReason, note: str | None, at: datetime) -> Refund:
        return cls(refund_id, amount, reason, RefundStatus.PENDING, at, at, note=note)

    @property
    def holds_funds(self) -> bool:
        """Pending and succeeded refunds both count against what remains refundable."""
        return self.status is not RefundStatus.FAILED
