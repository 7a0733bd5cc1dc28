"""Risk checks at checkout (API.md "Risk checks at checkout"): what a checkout looks like to an assessor, and the
two moments it is asked.

1. `assess`, before any transaction: everything that needs no count (amount limits, blocklists) and any external
   scorer (a network call is never made inside a transaction).
2. `assess_counted`, inside the transaction that would create the payment: velocity rules, counted through
   `RecentCheckouts`, which holds a lock per counted key until that transaction ends. Concurrent checkouts for one
   key are therefore counted one after another, each seeing the payments the earlier ones created.

The adapters (the rules engine, the external scorer, and the two combined) live in infrastructure/risk; they meet
this port only in the composition root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from domain.payments.risk import ALLOWED, RiskAssessment
from domain.shared.money import Money

CountedBy = Literal["email", "ip", "order"]


@dataclass(frozen=True, slots=True)
class CheckoutFacts:
    """What is known about a checkout before anything is stored. No secrets and no card data (hosted pages)."""

    order_id: str
    amount: Money
    at: datetime
    customer_email: str | None = None
    customer_ip: str | None = None
    customer_country: str | None = None  # ISO 3166 alpha-2, upper case
    provider: str | None = None  # the provider chosen for the checkout

    def counted_value(self, by: CountedBy) -> str | None:
        if by == "email":
            return self.customer_email
        if by == "ip":
            return self.customer_ip
        return self.order_id


@dataclass(frozen=True, slots=True)
class RecentCount:
    """Payments created since `since` whose `by` is `value`."""

    by: CountedBy
    value: str
    since: datetime


class RecentCheckouts(Protocol):
    """Counts payments already created, on the transaction of the unit of work that offers it."""

    async def count(self, queries: Sequence[RecentCount]) -> list[int]:
        """One count per query, in order. Takes, first, a lock per counted (by, value) that is held until the
        transaction ends, so a concurrent checkout counting the same key waits and then sees this one's payment."""
        ...


class RiskAssessor(Protocol):
    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        """Outside any transaction: the checks that need no count, and external scorers."""
        ...

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        """Inside the transaction that creates the payment: the checks that count earlier checkouts."""
        ...


class NoRiskChecks:
    """Allows everything: the default without a rules file or scorer (and for handlers built in tests)."""

    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        return ALLOWED

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        return ALLOWED


NO_RISK_CHECKS: RiskAssessor = NoRiskChecks()
