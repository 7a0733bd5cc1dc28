"""Builds the risk assessor the settings ask for (used by the composition root only).

No rules file and no scorer: `NO_RISK_CHECKS` (the check is off; nothing is assessed or recorded). One of them:
that one. Both: combined, the stricter decision winning.
"""

from __future__ import annotations

import httpx

from application.ports.risk import NO_RISK_CHECKS, RiskAssessor
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import ProviderCallObserver
from infrastructure.risk.combined import CombinedRiskAssessor
from infrastructure.risk.external_scorer import ExternalScorer
from infrastructure.risk.rules import RiskRules
from infrastructure.risk.rules_engine import RulesEngine


def build_risk_assessor(
    rules: RiskRules | None,
    url: str | None,
    *,
    http: httpx.AsyncClient,
    timeout_ms: int,
    fail_open: bool,
    breaker: CircuitBreaker,
    observer: ProviderCallObserver | None,
) -> RiskAssessor:
    parts: list[RiskAssessor] = []
    if rules is not None:
        parts.append(RulesEngine(rules))
    if url is not None:
        parts.append(ExternalScorer(url, http, timeout_ms / 1000, fail_open, breaker, observer))
    if not parts:
        return NO_RISK_CHECKS
    return parts[0] if len(parts) == 1 else CombinedRiskAssessor(parts)
