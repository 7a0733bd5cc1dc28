"""`/admin/transactions`: the JSON listing's query (same filters, same keyset pages), as a table; and its CSV."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.response import Stream, Template

from application.bus import MessageBus
from application.queries.list_transactions import ListTransactions
from application.queries.paging import MAX_PAGE
from infrastructure.providers import catalogue
from interfaces.admin.render import page
from interfaces.admin.session import Console
from interfaces.admin.transaction_filters import RISK_DECISIONS, STATUSES, FilterForm, FilterNotUnderstood
from interfaces.http.controllers.transactions import csv_pages
from interfaces.http.route_handlers import get

PAGE_SIZE = 50
# every provider this version knows, not only the enabled ones: payments outlive a provider's configuration
PROVIDERS = tuple(sorted(catalogue.KNOWN))
_CURSOR_MAX = 512


class TransactionsPages(Controller):
    path = "/transactions"

    @get("/")
    async def transactions(
        self,
        request: Request[Any, Any, Any],
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Template:
        form = FilterForm.of(dict(request.query_params))
        cursor = request.query_params.get("cursor") or None
        context: dict[str, Any] = {
            "console": console,
            "nav": "transactions",
            "form": form,
            "statuses": STATUSES,
            "risk_decisions": RISK_DECISIONS,
            "providers": PROVIDERS,
            "rows": (),
            "next_query": None,
            "first_page": cursor is None,
        }
        try:
            filters = form.to_filter(PROVIDERS)
        except FilterNotUnderstood as error:
            return page("transactions.html", 422, error=str(error), **context)
        if cursor is not None and len(cursor) > _CURSOR_MAX:
            return page("transactions.html", 422, error="That page link is broken; start again.", **context)
        result = await bus.send(ListTransactions(filters, PAGE_SIZE, cursor))  # a bad cursor: 422 page
        next_query = form.query(cursor=result.next_cursor) if result.next_cursor else None
        return page(
            "transactions.html",
            **{**context, "rows": result.data, "next_query": next_query, "csv_query": form.query()},
        )

    @get("/export.csv")
    async def export(
        self,
        request: Request[Any, Any, Any],
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Stream:
        filters = FilterForm.of(dict(request.query_params)).to_filter(PROVIDERS)
        first = await bus.send(ListTransactions(filters, MAX_PAGE))
        return Stream(
            csv_pages(bus, filters, first),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="transactions.csv"'},
        )
