"""The built-in rules engine: the `RiskAssessor` port over a rules file (rules.py, rules_file.py).

Plain rules (amount limits, blocklists) are answered from the checkout alone, before any transaction. Counted
rules (velocity) are answered inside the payment's transaction, from one locked count each (RecentCheckouts).
"""

from __future__ import annotations

from application.ports.risk import CheckoutFacts, RecentCheckouts
from domain.payments.risk import ALLOWED, RiskAssessment, combine
from infrastructure.risk.rules import RiskRules


class RulesEngine:
    def __init__(self, rules: RiskRules) -> None:
        self._rules = rules

    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        return combine([rule.head.hit() for rule in self._rules.plain if rule.matches(facts)])

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        asked = [(rule, query) for rule in self._rules.counted if (query := rule.query(facts)) is not None]
        if not asked:
            return ALLOWED
        counts = await recent.count([query for _, query in asked])
        return combine([rule.head.hit() for (rule, _), count in zip(asked, counts, strict=True) if rule.reached(count)])
