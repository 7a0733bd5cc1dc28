from dataclasses import dataclass

from application.errors import TransactionNotFound
from application.messages import Query
from application.ports.read_model import PaymentReadModel
from application.views import TransactionView


@dataclass(frozen=True, slots=True)
class GetTransaction(Query[TransactionView]):
    id_or_reference: str


class GetTransactionHandler:
    """One payment or refund, by our id or by the provider's reference."""

    def __init__(self, read_model: PaymentReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetTransaction) -> TransactionView:
        view = await self._read.transaction(query.id_or_reference)
        if view is None:
            raise TransactionNotFound(query.id_or_reference)
        return view
