"""`/admin`: the last 24 hours at a glance, and what needs a look."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.response import Template

from application.bus import MessageBus
from application.data.notifications import Notification, NotificationStatus
from application.queries.list_notifications import ListNotifications
from interfaces.admin.overview_cache import OverviewCache
from interfaces.admin.overview_model import chart, provider_totals, success_rate
from interfaces.admin.render import page
from interfaces.admin.session import Console
from interfaces.http.route_handlers import get

_LISTED = 8  # rows per "needs a look" list
_CACHE = "console_overview"  # the app's state: each app (and event loop) its own


class OverviewPage(Controller):
    @get("/")
    async def overview(
        self, request: Request[Any, Any, Any], bus: NamedDependency[MessageBus], console: NamedDependency[Console]
    ) -> Template:
        cache = request.app.state.get(_CACHE)
        if cache is None:
            cache = request.app.state[_CACHE] = OverviewCache()  # the page's aggregates, read at most every 15 s
        figures = await cache.figures(bus)
        summary = figures.summary
        pending: list[Notification] = []
        for waiting in (NotificationStatus.PENDING, NotificationStatus.FAILED):
            pending.extend((await bus.send(ListNotifications(waiting, _LISTED))).data)
        return page(
            "overview.html",
            console=console,
            nav="overview",
            summary=summary,
            providers=provider_totals(summary.payments),
            payments_total=sum(g.count for g in summary.payments),
            success_rate=success_rate(summary.payments),
            chart=chart(figures.hourly),
            pending_callbacks=sorted(pending, key=lambda n: n.next_attempt_at)[:_LISTED],
        )
