"""What a provider that cannot hold funds answers to capture and cancel (Paystack, Flutterwave, Mollie).

A manual-capture checkout never reaches such a provider: the registry refuses it first (`capture-not-supported`).
Their hosted checkouts expire by themselves, so cancelling an open one is ours alone: nothing to call; a success
that still arrives is the paid-after-cancel case.
"""

from __future__ import annotations

from application.data.provider_news import ProviderCapture
from application.errors import CaptureNotSupported
from domain.payments.payment import Payment
from domain.shared.money import Money


class HoldsNoFunds:
    name: str
    supports_manual_capture = False

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        raise CaptureNotSupported(self.name, [])  # unreachable through the registry; a clear error if reached

    async def cancel(self, payment: Payment) -> None:
        return None
