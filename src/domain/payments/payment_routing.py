"""Failover: a checkout whose provider gave no answer before a session existed moves to another provider.

Only an open checkout without a session may move: once a provider has handed us a session the customer may be
paying there, so the payment stays with it. `providers_tried` keeps every provider asked, in order.
"""

from __future__ import annotations

from datetime import datetime

from domain.payments import events as ev
from domain.payments.payment_state import PaymentState
from domain.payments.rules import RerouteOnlyWithoutSession
from domain.payments.status import PaymentStatus
from domain.shared.rules import check


class PaymentRouting(PaymentState):
    provider: str
    provider_reference: str | None
    checkout_url: str | None
    providers_tried: tuple[str, ...]

    @property
    def reroutable(self) -> bool:
        """Still processing and no provider has answered with a session."""
        return self.status is PaymentStatus.PROCESSING and self.checkout_url is None

    def reroute(self, provider: str, reason: str, at: datetime) -> bool:
        """Moves the checkout to `provider`, closing the attempt at the current one (audited with `reason`).
        Moving to the provider it is already on changes nothing."""
        if provider == self.provider:
            return False
        check(RerouteOnlyWithoutSession(self.id, self.reroutable))
        previous, self.provider, self.updated_at = self.provider, provider, at
        if provider not in self.providers_tried:
            self.providers_tried = (*self.providers_tried, provider)
        self._record(ev.PaymentRerouted, self.status, at, from_provider=previous, to_provider=provider, reason=reason)
        return True
