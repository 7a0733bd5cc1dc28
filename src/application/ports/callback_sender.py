"""Posts one signed notification body to an order system's callback URL."""

from __future__ import annotations

from typing import Protocol

from application.data.callbacks import DeliveryResult


class CallbackSender(Protocol):
    async def post(self, url: str, body: bytes) -> DeliveryResult:
        """Signs `body` for this attempt and POSTs it. Never raises for the receiver's failures: they are
        the result."""
        ...
