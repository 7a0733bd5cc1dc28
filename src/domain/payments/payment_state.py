"""What every part of the Payment aggregate shares: its state and how a change is recorded.

The aggregate is one class (`payment.Payment`) assembled from parts that each own a subject (refunds, capture);
they all change state through `_move_to`, which consults the transition table, and `_record`, which records the
domain event the change is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.payments import events as ev
from domain.payments.errors import TransitionNotAllowed
from domain.payments.status import PaymentStatus, can_move
from domain.shared.money import Money

if TYPE_CHECKING:
    from domain.payments.refund import Refund


class PaymentState:
    """The fields every part reads (the dataclass `Payment` defines them) and the two ways to change them."""

    id: str
    order_id: str
    amount: Money
    status: PaymentStatus
    updated_at: datetime
    refunds: list[Refund]
    amount_captured: int | None
    capture_requested: int | None
    expires_at: datetime | None
    version: int  # bumped by every save (the repository's optimistic guard)
    _events: list[ev.PaymentEvent]

    @property
    def captured(self) -> Money:
        """What was taken: the amount a capture took, or the whole amount (automatic capture, older rows)."""
        taken = self.amount.amount if self.amount_captured is None else self.amount_captured
        return Money(taken, self.amount.currency)

    # ---- events ---------------------------------------------------------------------------------------
    def pull_events(self) -> list[ev.PaymentEvent]:
        """Hands the recorded events to whoever persists them, exactly once."""
        events, self._events = self._events, []
        return events

    @property
    def pending_events(self) -> tuple[ev.PaymentEvent, ...]:
        return tuple(self._events)

    def _move_to(self, target: PaymentStatus, at: datetime) -> PaymentStatus:
        if not can_move(self.status, target):
            raise TransitionNotAllowed(self.id, self.status, target)
        previous, self.status, self.updated_at = self.status, target, at
        return previous

    def _record(self, kind: type[ev.PaymentEvent], previous: PaymentStatus | None, at: datetime, **data: Any) -> None:
        self._events.append(
            kind(
                payment_id=self.id,
                order_id=self.order_id,
                occurred_at=at,
                from_status=previous,
                to_status=self.status,
                **data,
            )
        )

    def _sum(self, refunds: Any) -> Money:
        total = Money.zero(self.amount.currency)
        for refund in refunds:
            total = total + refund.amount
        return total
