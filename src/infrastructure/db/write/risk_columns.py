"""A payment's risk assessment ↔ its three columns (`risk_decision`, `risk_score`, `risk_reasons`; 0009)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.payments.risk import RiskAssessment, RiskDecision


def risk_values(risk: RiskAssessment | None) -> dict[str, Any]:
    if risk is None:  # no check ran (none configured, or a payment from before risk checks)
        return {"risk_decision": None, "risk_score": None, "risk_reasons": None}
    return {"risk_decision": risk.decision.value, "risk_score": risk.score, "risk_reasons": list(risk.reasons)}


def risk_from_row(row: Mapping[str, Any]) -> RiskAssessment | None:
    decision = row["risk_decision"]
    if decision is None:
        return None
    return RiskAssessment(RiskDecision(decision), row["risk_score"] or 0, tuple(row["risk_reasons"] or ()))
