"""GET /api/v1/transactions: money movements, one row per payment and one per refund."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from application.views import TransactionPage, TransactionView
from interfaces.http.schemas.common import TransactionKind, utc

CSV_COLUMNS = (
    "id",
    "kind",
    "payment_id",
    "order_id",
    "provider",
    "provider_reference",
    "amount",
    "currency",
    "status",
    "created_at",
    "updated_at",
    "risk",
)


class TransactionResponse(Struct, kw_only=True):
    id: str
    kind: TransactionKind
    payment_id: str
    order_id: str
    provider: str
    provider_reference: str | None
    amount: int
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    risk: str | None  # a payment's risk decision (allow, review); null for refunds and unchecked payments

    @classmethod
    def from_view(cls, view: TransactionView) -> TransactionResponse:
        return cls(
            id=view.id,
            kind=view.kind,
            payment_id=view.payment_id,
            order_id=view.order_id,
            provider=view.provider,
            provider_reference=view.provider_reference,
            amount=view.amount,
            currency=view.currency,
            status=view.status,
            created_at=utc(view.created_at),
            updated_at=utc(view.updated_at),
            risk=view.risk,
        )


class TransactionPageResponse(Struct, kw_only=True):
    """Newest first; pass `next_cursor` as `cursor` for the next page (null on the last)."""

    data: list[TransactionResponse]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: TransactionPage) -> TransactionPageResponse:
        return cls(data=[TransactionResponse.from_view(v) for v in page.data], next_cursor=page.next_cursor)


def csv_row(view: TransactionView) -> tuple[str | int, ...]:
    return (
        view.id,
        view.kind,
        view.payment_id,
        view.order_id,
        view.provider,
        view.provider_reference or "",
        view.amount,
        view.currency,
        view.status,
        utc(view.created_at).isoformat().replace("+00:00", "Z"),
        utc(view.updated_at).isoformat().replace("+00:00", "Z"),
        view.risk or "",
    )
