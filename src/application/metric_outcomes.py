"""How a failed checkout or refund request is counted (application/ports/metrics.py names the outcomes)."""

from __future__ import annotations

from typing import Literal

from application.errors import LivePaymentExists, ProviderError, ProviderUnavailable
from domain.shared.errors import DomainError

FailureOutcome = Literal["refused", "unavailable", "rejected", "error"]


def failure_outcome(error: BaseException) -> FailureOutcome:
    if isinstance(error, ProviderError):
        return "refused"  # the provider answered no (4xx)
    if isinstance(error, ProviderUnavailable):
        return "unavailable"  # timeout, 5xx, or its circuit is open
    if isinstance(error, DomainError | LivePaymentExists):
        return "rejected"  # our rules said no: a client's problem, not an outage
    return "error"  # the store failed, a concurrent update, or a bug
