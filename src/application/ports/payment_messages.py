"""A payment's webhook events and callbacks, for the console's payment page."""

from __future__ import annotations

from typing import Protocol

from application.data.payment_messages import PaymentMessages


class PaymentMessagesReadModel(Protocol):
    async def for_payment(self, payment_id: str, limit: int) -> PaymentMessages:
        """The newest `limit` of each."""
        ...
