"""`/admin/reconciliation`: the summary of the last 24 hours, and "Run now" (one janitor pass, as
`POST /api/v1/reconciliation/runs`), whose report is shown with the summary after it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.response import Template

from application.bus import MessageBus
from application.queries.reconciliation_summary import GetReconciliationSummary
from application.worker.janitor_report import JanitorReport
from application.worker.run_janitor import RunJanitor
from interfaces.admin.notices import notice_for
from interfaces.admin.once import Outcome, posted_action
from interfaces.admin.render import page
from interfaces.admin.session import Console
from interfaces.http.route_handlers import get, post

log = logging.getLogger(__name__)


class ReconciliationPages(Controller):
    path = "/reconciliation"

    @get("/")
    async def reconciliation(self, bus: NamedDependency[MessageBus], console: NamedDependency[Console]) -> Template:
        return await _page(bus, console, None, None)

    @post("/run", status_code=200)
    async def run(
        self, request: Request[Any, Any, Any], bus: NamedDependency[MessageBus], console: NamedDependency[Console]
    ) -> Template:
        reports: list[JanitorReport] = []

        async def run_once(_: Mapping[str, str]) -> None:
            reports.append(await bus.send(RunJanitor(actor=console.actor)))

        outcome = await posted_action(request, console, "admin", run_once)
        if outcome is Outcome.DONE:
            log.info("console: reconciliation run by %s", console.actor)
        return await _page(bus, console, reports[0] if reports else None, notice_for(outcome.value))


async def _page(bus: MessageBus, console: Console, report: JanitorReport | None, notice: str | None) -> Template:
    summary = await bus.send(GetReconciliationSummary(24))
    return page(
        "reconciliation.html",
        console=console,
        nav="reconciliation",
        summary=summary,
        report=report,
        notice=notice_for("reconciliation") if report is not None else notice,
    )
