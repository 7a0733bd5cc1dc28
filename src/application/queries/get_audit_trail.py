from dataclasses import dataclass

from application.errors import PaymentNotFound
from application.messages import Query
from application.ports.read_model import PaymentReadModel
from application.views import AuditEntryView


@dataclass(frozen=True, slots=True)
class GetAuditTrail(Query[list[AuditEntryView]]):
    payment_id: str


class GetAuditTrailHandler:
    """Everything that happened to a payment, oldest first, with who or what caused it."""

    def __init__(self, read_model: PaymentReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetAuditTrail) -> list[AuditEntryView]:
        entries = await self._read.audit_trail(query.payment_id)
        if entries is None:
            raise PaymentNotFound(query.payment_id)
        return entries
