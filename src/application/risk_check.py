"""The checkout's risk check around the `RiskAssessor` port: facts in, a decision out, a block refused.

The checkout use case calls `screen` before anything is stored (a block there creates nothing) and `settle` inside
the transaction that inserts the payment (the velocity counts, under their locks, and a block there rolls the
insert back). Each settled assessment is counted once, `payments_risk_decisions_total{decision}`; the payment
records it as its `risk.assessed` audit entry (domain/payments/payment.py). Without rules or a scorer the check is
off: nothing is assessed, counted or recorded, and the payment's `risk` stays empty.
"""

from __future__ import annotations

from datetime import datetime

from application.ports.metrics import Metrics
from application.ports.risk import NO_RISK_CHECKS, CheckoutFacts, RecentCheckouts, RiskAssessor
from domain.payments.payment import CheckoutDetails
from domain.payments.risk import PaymentBlocked, RiskAssessment
from domain.shared.money import Money


class RiskCheck:
    def __init__(self, assessor: RiskAssessor, metrics: Metrics) -> None:
        self._assessor, self._metrics = assessor, metrics
        self.enabled = assessor is not NO_RISK_CHECKS

    async def screen(self, facts: CheckoutFacts) -> RiskAssessment | None:
        """Before any transaction; raises PaymentBlocked (counted) when the checks that need no count block."""
        if not self.enabled:
            return None
        found = await self._assessor.assess(facts)
        if found.blocks:
            self._refuse(facts, found)
        return found

    async def settle(
        self, facts: CheckoutFacts, screened: RiskAssessment | None, recent: RecentCheckouts
    ) -> RiskAssessment | None:
        """Inside the payment's transaction: adds the counted checks to what `screen` found; counts the decision."""
        if screened is None:
            return None
        found = screened.combined(await self._assessor.assess_counted(facts, recent))
        if found.blocks:
            self._refuse(facts, found)
        self._metrics.risk_decision(found.decision)
        return found

    def _refuse(self, facts: CheckoutFacts, found: RiskAssessment) -> None:
        self._metrics.risk_decision(found.decision)
        raise PaymentBlocked(facts.order_id, found)


def checkout_facts(
    order_id: str, amount: Money, details: CheckoutDetails, provider: str, at: datetime
) -> CheckoutFacts:
    """The checkout as the assessors see it (never secrets: no URLs, no metadata, no description)."""
    return CheckoutFacts(
        order_id=order_id,
        amount=amount,
        at=at,
        customer_email=details.customer_email,
        customer_ip=details.customer_ip,
        customer_country=details.customer_country,
        provider=provider,
    )
