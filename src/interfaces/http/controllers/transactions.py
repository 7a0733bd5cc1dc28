"""Money movements for finance: filtered, keyset-paginated, or streamed whole as CSV (`Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from enum import StrEnum
from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import Stream

from application.bus import MessageBus
from application.queries.get_transaction import GetTransaction
from application.queries.list_transactions import ListTransactions
from application.queries.paging import MAX_PAGE
from application.views import TransactionFilter, TransactionPage
from domain.payments.status import PaymentStatus, RefundStatus
from interfaces.http.auth import requires
from interfaces.http.openapi import LIST_REFUSED, SECURITY, problem_responses, success
from interfaces.http.route_handlers import get
from interfaces.http.schemas.common import ORDER_ID_PATTERN, ProviderName, TransactionKind, parse_instant
from interfaces.http.schemas.paging import PageCursor, PageLimit
from interfaces.http.schemas.transactions import (
    CSV_COLUMNS,
    TransactionPageResponse,
    TransactionResponse,
    csv_row,
)

_JSON, _CSV = "application/json", "text/csv"

# Every status a payment or a refund can have, from the domain's own lists (a new status is filterable at once)
Status = StrEnum(  # type: ignore[misc]
    "Status", {value: value for value in dict.fromkeys((*PaymentStatus, *RefundStatus))}
)


class RiskFilter(StrEnum):
    """A payment's risk decision; a blocked checkout created no payment, so there is no `block` to list."""

    ALLOW = "allow"
    REVIEW = "review"


Instant = Annotated[
    str | None, QueryParameter(format=OpenAPIFormat.DATE_TIME, description="RFC 3339 with an offset, e.g. `…Z`")
]


class TransactionsController(Controller):
    path = "/api/v1/transactions"
    tags = ["transactions"]
    guards = [requires("payments:read")]
    security = SECURITY

    @get(
        "/",
        summary="Payments and refunds, newest first",
        description="Keyset-paginated JSON; with `Accept: text/csv`, every matching row as a CSV stream.",
        responses={
            200: success(TransactionPageResponse, "A page, or CSV with `Accept: text/csv`"),
            **problem_responses(401, 403, 422, described={422: LIST_REFUSED}),
        },
    )
    async def list_transactions(
        self,
        request: Request[Any, Any, Any],
        bus: NamedDependency[MessageBus],
        status: FromQuery[Status | None] = None,
        provider: FromQuery[ProviderName | None] = None,
        kind: FromQuery[TransactionKind | None] = None,
        order_id: Annotated[str | None, QueryParameter(pattern=ORDER_ID_PATTERN)] = None,
        currency: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{3}$")] = None,
        created_after: Instant = None,
        created_before: Instant = None,
        limit: PageLimit = 50,
        cursor: PageCursor = None,
        risk: FromQuery[RiskFilter | None] = None,
    ) -> Response[Any]:
        filters = TransactionFilter(
            None if status is None else str(status),
            provider,
            kind,
            order_id,
            currency.upper() if currency else None,
            parse_instant("created_after", created_after),
            parse_instant("created_before", created_before),
            None if risk is None else str(risk),
        )
        if request.accept.best_match([_JSON, _CSV], default=_JSON) == _CSV:
            first = await bus.send(ListTransactions(filters, MAX_PAGE, cursor))  # errors surface before streaming
            return Stream(
                csv_pages(bus, filters, first),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="transactions.csv"'},
            )
        page = await bus.send(ListTransactions(filters, limit, cursor))
        return Response(TransactionPageResponse.from_page(page))

    @get(
        "/{id_or_reference:str}",
        summary="One payment or refund, by our id or the provider's reference",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def transaction(
        self,
        id_or_reference: Annotated[str, PathParameter(min_length=1, max_length=255)],
        bus: NamedDependency[MessageBus],
    ) -> TransactionResponse:
        return TransactionResponse.from_view(await bus.send(GetTransaction(id_or_reference)))


async def csv_pages(bus: MessageBus, filters: TransactionFilter, page: TransactionPage) -> AsyncIterator[bytes]:
    """The header, then every page, walking the keyset cursor until the last page."""
    yield _csv_lines([CSV_COLUMNS])
    while True:
        yield _csv_lines(csv_row(view) for view in page.data)
        if page.next_cursor is None:
            return
        page = await bus.send(ListTransactions(filters, MAX_PAGE, page.next_cursor))


def _csv_lines(rows: Iterable[Iterable[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()
