"""Reconciliation for admins: what happened in a window and what looks wrong; run the janitor now."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.bus import MessageBus
from application.queries.reconciliation_summary import MAX_HOURS_BACK, GetReconciliationSummary
from application.worker.run_janitor import RunJanitor
from interfaces.http.auth import caller_of, requires
from interfaces.http.openapi import SECURITY, problem_responses
from interfaces.http.route_handlers import get, post
from interfaces.http.schemas.reconciliation import JanitorRunResponse, ReconciliationSummaryResponse


class ReconciliationController(Controller):
    path = "/api/v1/reconciliation"
    tags = ["reconciliation"]
    guards = [requires("admin")]
    security = SECURITY

    @get(
        "/summary",
        summary="Counts and amounts per provider, status and currency; stuck payments; troubled webhooks",
        responses=problem_responses(401, 403, 422),
    )
    async def summary(
        self,
        bus: NamedDependency[MessageBus],
        hours_back: Annotated[
            int, QueryParameter(ge=1, le=MAX_HOURS_BACK, description="The window, in hours back from now (1-720)")
        ] = 24,
    ) -> ReconciliationSummaryResponse:
        view = await bus.send(GetReconciliationSummary(hours_back))
        return ReconciliationSummaryResponse.from_view(view, hours_back)

    @post(
        "/runs",
        status_code=200,
        summary="Run the janitor now: ask providers about stuck payments and refunds, and settle them",
        responses=problem_responses(401, 403),
    )
    async def run(self, request: Request[Any, Any, Any], bus: NamedDependency[MessageBus]) -> JanitorRunResponse:
        return JanitorRunResponse.from_report(await bus.send(RunJanitor(actor=caller_of(request).name)))
