"""POST /api/v1/payments/{payment_id}/refund."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from application.commands.refund_payment import RefundPayment
from application.views import RefundView
from domain.payments.refund import RefundReason
from interfaces.http.schemas.common import Amount, ShortText, utc


class RefundRequest(Struct, forbid_unknown_fields=True):
    """`amount` defaults to everything that remains refundable."""

    amount: Amount | None = None
    reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER
    note: ShortText | None = None

    def to_command(self, payment_id: str, actor: str) -> RefundPayment:
        return RefundPayment(payment_id, self.amount, self.reason, self.note, actor)


class RefundResponse(Struct, kw_only=True, omit_defaults=True):
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    reason: str
    provider_reference: str | None
    created_at: datetime
    updated_at: datetime
    failure_reason: str | None = None  # only when failed

    @classmethod
    def from_view(cls, view: RefundView) -> RefundResponse:
        return cls(
            id=view.id,
            payment_id=view.payment_id,
            amount=view.amount,
            currency=view.currency,
            status=view.status,
            reason=view.reason,
            provider_reference=view.provider_reference,
            created_at=utc(view.created_at),
            updated_at=utc(view.updated_at),
            failure_reason=view.failure_reason,
        )
