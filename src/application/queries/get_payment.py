from dataclasses import dataclass

from application.errors import PaymentNotFound
from application.messages import Query
from application.ports.read_model import PaymentReadModel
from application.views import PaymentView


@dataclass(frozen=True, slots=True)
class GetPayment(Query[PaymentView]):
    payment_id: str


class GetPaymentHandler:
    def __init__(self, read_model: PaymentReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetPayment) -> PaymentView:
        view = await self._read.payment(query.payment_id)
        if view is None:
            raise PaymentNotFound(query.payment_id)
        return view
