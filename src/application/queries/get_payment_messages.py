"""A payment's webhook events and order callbacks, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from application.data.payment_messages import PaymentMessages
from application.messages import Query
from application.ports.payment_messages import PaymentMessagesReadModel


@dataclass(frozen=True, slots=True)
class GetPaymentMessages(Query[PaymentMessages]):
    payment_id: str
    limit: int = 50


class GetPaymentMessagesHandler:
    def __init__(self, messages: PaymentMessagesReadModel) -> None:
        self._read = messages

    async def __call__(self, query: GetPaymentMessages) -> PaymentMessages:
        return await self._read.for_payment(query.payment_id, max(1, min(query.limit, 200)))
