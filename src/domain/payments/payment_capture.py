"""Authorize now, capture later: a manual-capture payment holds the funds (`authorized`) until it is captured,
in full or in part (the rest is released), voided (cancelled), or the hold lapses (expired).

One capture per authorization: `request_capture` reserves it in our books first (`capture_requested`), so a
second, concurrent request is refused before it can reach the provider; the provider's answer (in the call, or
later by webhook or the janitor's lookup) settles it.
"""

from __future__ import annotations

from datetime import datetime

from domain.payments import events as ev
from domain.payments.payment_state import PaymentState
from domain.payments.rules import AmountIsPositive, CaptureOnlyWhenAuthorized, CaptureWithinAuthorized
from domain.payments.status import PaymentStatus
from domain.shared.money import Money
from domain.shared.rules import check

_S = PaymentStatus


class PaymentCapture(PaymentState):
    @property
    def capture_pending(self) -> bool:
        """A capture was asked for and the provider has not confirmed it yet."""
        return self.capture_requested is not None

    @property
    def capture_key(self) -> str:
        """Names the capture in flight, for the provider's idempotency key: the same however often one reservation
        is sent, and another for a capture asked after a refused one, which under the old key a provider would
        answer with the stored refusal. The payment's version tells them apart: the reservation's save bumped it."""
        return f"{self.id}-v{self.version}"

    @property
    def amount_capturable(self) -> Money:
        """What a capture may still take: the whole authorization while no capture is in flight, else nothing."""
        open_hold = self.status is _S.AUTHORIZED and not self.capture_pending
        return self.amount if open_hold else Money.zero(self.amount.currency)

    def authorize(self, at: datetime, hold_until: datetime | None = None) -> bool:
        """The customer approved; the funds are held (until `hold_until`, when the provider says: the checkout's
        expiry is no longer what counts). News of it after the money was taken changes nothing."""
        if self.status is _S.AUTHORIZED or self.status in (
            _S.SUCCEEDED,
            _S.PARTIALLY_REFUNDED,
            _S.REFUNDED,
            _S.DISPUTED,
        ):
            return False
        previous = self._move_to(_S.AUTHORIZED, at)
        if hold_until is not None:
            self.expires_at = hold_until
        self._record(ev.PaymentAuthorized, previous, at, amount=self.amount.amount, currency=self.amount.currency.code)
        return True

    def request_capture(self, amount: int | None, at: datetime) -> Money:
        """Reserves a capture of `amount` (None: the whole authorization) before the provider is asked."""
        check(CaptureOnlyWhenAuthorized(self.id, self.status, self.capture_pending))
        if amount is not None:
            check(AmountIsPositive(amount))
        requested = self.amount if amount is None else Money(amount, self.amount.currency)
        check(CaptureWithinAuthorized(self.id, requested, self.amount))
        self.capture_requested, self.updated_at = requested.amount, at
        self._record(ev.CaptureRequested, self.status, at, amount=requested.amount, currency=requested.currency.code)
        return requested

    def capture_failed(self, reason: str, at: datetime) -> bool:
        """The provider refused the capture: the authorization stands and may be captured again."""
        if self.capture_requested is None:
            return False
        amount, self.capture_requested, self.updated_at = self.capture_requested, None, at
        self._record(
            ev.CaptureFailed, self.status, at, amount=amount, currency=self.amount.currency.code, reason=reason
        )
        return True

    def _taken(self, reported: int | None) -> int:
        """What a success took: the capture we asked for, else what the provider reports (never more than the
        amount), else the whole amount."""
        if self.capture_requested is not None:
            return self.capture_requested
        if reported is not None and 0 < reported <= self.amount.amount:
            return reported
        return self.amount.amount
