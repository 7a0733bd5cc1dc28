"""What a risk check decided about a checkout: allow, review or block, with a score and the reasons.

Several assessors may look at one checkout (the rules file, an external scorer); their assessments combine so that
the stricter decision wins, the highest score is kept and every reason is listed once. A blocked checkout creates
nothing (`PaymentBlocked`); an allowed or reviewed one becomes part of its payment (`Payment.risk`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.shared.errors import BusinessRuleViolation

MAX_SCORE = 100


class RiskDecision(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"  # the payment proceeds and is flagged for a person to look at
    BLOCK = "block"  # nothing is created and no provider is asked

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]


_STRICTNESS = {RiskDecision.ALLOW: 0, RiskDecision.REVIEW: 1, RiskDecision.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    decision: RiskDecision = RiskDecision.ALLOW
    score: int = 0  # 0-100: how risky, by the highest-scoring rule or scorer that spoke
    reasons: tuple[str, ...] = ()  # rule ids (and the scorer's reasons), in the order they were found

    @property
    def blocks(self) -> bool:
        return self.decision is RiskDecision.BLOCK

    def combined(self, other: RiskAssessment) -> RiskAssessment:
        """Both assessments at once: the stricter decision, the higher score, every reason once."""
        decision = max(self.decision, other.decision, key=lambda d: d.strictness)
        reasons = tuple(dict.fromkeys((*self.reasons, *other.reasons)))
        return RiskAssessment(decision, max(self.score, other.score), reasons)


ALLOWED = RiskAssessment()


def combine(assessments: Sequence[RiskAssessment]) -> RiskAssessment:
    found = ALLOWED
    for assessment in assessments:
        found = found.combined(assessment)
    return found


class PaymentBlocked(BusinessRuleViolation):
    """The risk check blocked the checkout: nothing was created and no provider was asked."""

    def __init__(self, order_id: str, assessment: RiskAssessment) -> None:
        super().__init__(f"the checkout for order {order_id} was blocked by: {', '.join(assessment.reasons)}")
        self.order_id, self.assessment = order_id, assessment

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.assessment.reasons
