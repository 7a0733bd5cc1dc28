"""One live payment per order: what a new checkout for an order may do, given the payment it already has."""

from __future__ import annotations

from dataclasses import dataclass

from domain.payments.errors import CheckoutConflict, OrderAlreadyPaid
from domain.payments.payment import Payment
from domain.payments.status import LIVE_STATUSES, OPEN_STATUSES, PAID_STATUSES
from domain.shared.money import Money


@dataclass(frozen=True, slots=True)
class OneLivePaymentPerOrder:
    """A paid order refuses new checkouts; an open one is reused for the same money and refused for other money.

    Failed, expired and cancelled payments are not live, so they never block a new checkout.
    """

    order_id: str
    requested: Money
    live: Payment | None

    def reusable(self) -> Payment | None:
        """The open payment to hand back again, None when a new one may start; raises when neither holds."""
        if self.live is None or self.live.status not in LIVE_STATUSES:
            return None
        if self.live.status in PAID_STATUSES:
            raise OrderAlreadyPaid(self.order_id, self.live.id)
        if self.live.status in OPEN_STATUSES and self.live.amount == self.requested:
            return self.live  # the same checkout asked again: its open payment (or its hold) handed back
        raise CheckoutConflict(self.order_id, self.live.id, self.live.amount)
