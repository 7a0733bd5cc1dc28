"""`/admin`: the last 24 hours at a glance, and what needs a look."""

from __future__ import annotations

from litestar import Controller
from litestar.di import NamedDependency
from litestar.response import Template

from application.bus import MessageBus
from application.data.notifications import Notification, NotificationStatus
from application.queries.get_overview import GetOverview
from application.queries.list_notifications import ListNotifications
from application.queries.payments_per_hour import GetPaymentsPerHour
from interfaces.admin.overview_model import chart, provider_totals, success_rate
from interfaces.admin.render import page
from interfaces.admin.session import Console
from interfaces.http.route_handlers import get

_LISTED = 8  # rows per "needs a look" list


class OverviewPage(Controller):
    @get("/")
    async def overview(self, bus: NamedDependency[MessageBus], console: NamedDependency[Console]) -> Template:
        summary = await bus.send(GetOverview(24))
        hourly = await bus.send(GetPaymentsPerHour())
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
            chart=chart(hourly),
            pending_callbacks=sorted(pending, key=lambda n: n.next_attempt_at)[:_LISTED],
        )
