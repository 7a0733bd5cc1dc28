"""What the application counts, in its own words; the Prometheus adapter lives in `infrastructure/metrics`.

Every label value is drawn from a closed set (the Literals below, provider names from the enabled set, statuses
from the state machine), so no client input can grow the number of series.
"""

from __future__ import annotations

from typing import Protocol

from application.data.outcomes import (
    CancelOutcome,
    CaptureOutcome,
    CheckoutOutcome,
    NotificationOutcome,
    RefundOutcome,
    WebhookOutcome,
)
from domain.payments.risk import RiskDecision


class Metrics(Protocol):
    def webhook_event(self, provider: str, outcome: WebhookOutcome) -> None: ...

    def checkout(self, provider: str, outcome: CheckoutOutcome) -> None: ...

    def refund(self, provider: str, outcome: RefundOutcome) -> None: ...

    def capture(self, provider: str, outcome: CaptureOutcome) -> None: ...

    def cancel(self, provider: str, outcome: CancelOutcome) -> None: ...

    def status_transition(self, from_status: str, to_status: str) -> None:
        """A payment's status changed, counted once its transaction committed."""
        ...

    def notification(self, outcome: NotificationOutcome) -> None:
        """One delivery attempt of an order callback and what became of the notification."""
        ...

    def risk_decision(self, decision: RiskDecision) -> None:
        """One checkout's risk assessment (application/risk_check.py)."""
        ...


class NoMetrics:
    """Counts nothing: the default for handlers built without a metrics adapter (tests, scripts)."""

    def webhook_event(self, provider: str, outcome: WebhookOutcome) -> None:
        pass

    def checkout(self, provider: str, outcome: CheckoutOutcome) -> None:
        pass

    def refund(self, provider: str, outcome: RefundOutcome) -> None:
        pass

    def capture(self, provider: str, outcome: CaptureOutcome) -> None:
        pass

    def cancel(self, provider: str, outcome: CancelOutcome) -> None:
        pass

    def status_transition(self, from_status: str, to_status: str) -> None:
        pass

    def notification(self, outcome: NotificationOutcome) -> None:
        pass

    def risk_decision(self, decision: RiskDecision) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
