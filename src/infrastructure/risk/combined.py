"""Several assessors as one `RiskAssessor`: each is asked, the stricter decision wins (domain `combine`).

The assessors that need no count are asked at once (the external scorer's round trip overlaps the rules); the
counted ones one after another, inside the payment's transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from application.ports.risk import CheckoutFacts, RecentCheckouts, RiskAssessor
from domain.payments.risk import RiskAssessment, combine


class CombinedRiskAssessor:
    def __init__(self, assessors: Sequence[RiskAssessor]) -> None:
        self._assessors = tuple(assessors)

    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        return combine(await asyncio.gather(*(assessor.assess(facts) for assessor in self._assessors)))

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        return combine([await assessor.assess_counted(facts, recent) for assessor in self._assessors])
