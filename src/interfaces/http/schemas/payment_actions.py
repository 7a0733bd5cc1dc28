"""POST /api/v1/payments/{payment_id}/capture and /cancel."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from application.commands.cancel_payment import CancelPayment
from application.commands.capture_payment import CapturePayment
from interfaces.http.schemas.common import TEXT, Amount


class CaptureRequest(Struct, forbid_unknown_fields=True):
    """`amount` defaults to the whole authorization; less is a partial capture (the rest is released)."""

    amount: Amount | None = None

    def to_command(self, payment_id: str, actor: str) -> CapturePayment:
        return CapturePayment(payment_id, self.amount, actor)


class CancelRequest(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=TEXT)] | None = None

    def to_command(self, payment_id: str, actor: str) -> CancelPayment:
        return CancelPayment(payment_id, self.reason, actor)
