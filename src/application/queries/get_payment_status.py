from dataclasses import dataclass

from application.errors import PaymentNotFound
from application.messages import Query
from application.ports.read_model import PaymentReadModel
from application.views import PaymentStatusView


@dataclass(frozen=True, slots=True)
class GetPaymentStatus(Query[PaymentStatusView]):
    order_id: str


class GetPaymentStatusHandler:
    """The order's latest payment. An order with no payment is answered payment-not-found."""

    def __init__(self, read_model: PaymentReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetPaymentStatus) -> PaymentStatusView:
        view = await self._read.payment_status(query.order_id)
        if view is None:
            raise PaymentNotFound(f"for order {query.order_id}")
        return view
