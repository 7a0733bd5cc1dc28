"""What one janitor pass reports: what it checked, what it changed, what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class JanitorChange:
    payment_id: str
    refund_id: str | None
    from_status: str
    to_status: str
    provider_event_id: str | None


@dataclass(frozen=True, slots=True)
class JanitorError:
    payment_id: str
    refund_id: str | None
    error: str


@dataclass(frozen=True, slots=True)
class JanitorReport:
    started_at: datetime
    finished_at: datetime
    checked_payments: int
    checked_refunds: int
    rescheduled: int
    changed: tuple[JanitorChange, ...]
    errors: tuple[JanitorError, ...]
    pulled_events: int = 0  # undelivered events the providers handed back this pass
    new_events: int = 0  # of those, the ones the inbox had not seen (the rest were duplicates)

    @property
    def checked(self) -> int:
        return self.checked_payments + self.checked_refunds


@dataclass
class Tally:
    """Counted during a pass, frozen into the report at its end."""

    payments: int = 0
    refunds: int = 0
    rescheduled: int = 0
    changed: list[JanitorChange] = field(default_factory=list)
    errors: list[JanitorError] = field(default_factory=list)
    pulled: int = 0
    new: int = 0

    def report(self, started_at: datetime, finished_at: datetime) -> JanitorReport:
        return JanitorReport(
            started_at,
            finished_at,
            self.payments,
            self.refunds,
            self.rescheduled,
            tuple(self.changed),
            tuple(self.errors),
            self.pulled,
            self.new,
        )
