"""Refund all or part of a payment."""

from __future__ import annotations

from dataclasses import dataclass

from application.data.cause import Cause, Source
from application.messages import Command
from application.refunds.refunder import Refunder
from application.views import RefundView
from domain.payments.refund import RefundReason


@dataclass(frozen=True, slots=True)
class RefundPayment(Command[RefundView]):
    payment_id: str
    amount: int | None
    reason: RefundReason = RefundReason.REQUESTED_BY_CUSTOMER
    note: str | None = None
    actor: str | None = None
    source: Source = "admin"  # refunds are an admin's act, from the API (scope refunds:write) or the console


class RefundPaymentHandler:
    """Refund all or part of a payment (application/refunds/refunder.py has the rules)."""

    def __init__(self, refunder: Refunder) -> None:
        self._refunder = refunder

    async def __call__(self, cmd: RefundPayment) -> RefundView:
        cause = Cause(cmd.source, cmd.actor)
        return await self._refunder.refund(cmd.payment_id, cmd.amount, cmd.reason, cmd.note, cause)
