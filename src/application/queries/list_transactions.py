from dataclasses import dataclass, field

from application.messages import Query
from application.ports.read_model import PaymentReadModel
from application.queries.paging import page_size
from application.views import TransactionFilter, TransactionPage


@dataclass(frozen=True, slots=True)
class ListTransactions(Query[TransactionPage]):
    filters: TransactionFilter = field(default_factory=TransactionFilter)
    limit: int = 50
    cursor: str | None = None


class ListTransactionsHandler:
    """Payments and refunds as money movements, newest first, keyset-paginated (cheap at any depth)."""

    def __init__(self, read_model: PaymentReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListTransactions) -> TransactionPage:
        limit = page_size(query.limit)
        return await self._read.transactions(query.filters, limit, query.cursor)
