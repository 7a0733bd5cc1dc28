"""`/admin/webhook-events` (list, detail, Replay) and `/admin/notifications` (Retry): the inbox and the outbox's
callbacks, over the same queries and commands as the JSON API's admin routes."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.bus import MessageBus
from application.commands.replay_webhook_event import ReplayWebhookEvent
from application.commands.retry_notification import RetryNotification
from application.data.notifications import NotificationStatus
from application.data.webhook_events import InboxStatus, WebhookEventFilter
from application.queries.get_webhook_event import GetWebhookEvent
from application.queries.list_notifications import ListNotifications
from application.queries.list_webhook_events import ListWebhookEvents
from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.admin.masking import masked_headers
from interfaces.admin.notices import done, notice_for
from interfaces.admin.once import posted_action
from interfaces.admin.render import page
from interfaces.admin.session import Console
from interfaces.http.route_handlers import get, post

log = logging.getLogger(__name__)
Id = Annotated[str, PathParameter(min_length=1, max_length=64)]
PAGE_SIZE = 50
_CURSOR_MAX = 512


def _status(text: str, allowed: tuple[str, ...]) -> str | None:
    if text and text not in allowed:
        raise FormNotUnderstood(f"Status: choose one of {', '.join(allowed)}.")
    return text or None


def _cursor(request: Request[Any, Any, Any]) -> str | None:
    cursor = request.query_params.get("cursor") or None
    if cursor is not None and len(cursor) > _CURSOR_MAX:
        raise FormNotUnderstood("That page link is broken; start again from the first page.")
    return cursor


def _next(status: str | None, cursor: str | None) -> str | None:
    return None if cursor is None else urlencode([("status", status or ""), ("cursor", cursor)])


class WebhookEventsPages(Controller):
    path = "/webhook-events"

    @get("/")
    async def events(
        self, request: Request[Any, Any, Any], bus: NamedDependency[MessageBus], console: NamedDependency[Console]
    ) -> Template:
        statuses = tuple(InboxStatus)
        status = _status(request.query_params.get("status", ""), statuses)
        result = await bus.send(ListWebhookEvents(WebhookEventFilter(status=status), PAGE_SIZE, _cursor(request)))
        return page(
            "webhook_events.html",
            console=console,
            nav="webhooks",
            rows=result.data,
            status=status or "",
            statuses=statuses,
            next_query=_next(status, result.next_cursor),
        )

    @get("/{event_id:str}")
    async def event(
        self,
        request: Request[Any, Any, Any],
        event_id: Id,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Template:
        event = await bus.send(GetWebhookEvent(event_id))
        return page(
            "webhook_event.html",
            console=console,
            nav="webhooks",
            event=event,
            headers=masked_headers(event.headers),
            body=event.body.decode("utf-8", errors="replace"),
            notice=notice_for(request.query_params.get("done")),
        )

    @post("/{event_id:str}/replay", status_code=303)
    async def replay(
        self,
        request: Request[Any, Any, Any],
        event_id: Id,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Redirect:
        replay = ReplayWebhookEvent(event_id, console.actor)
        outcome = await posted_action(request, console, "admin", lambda _: bus.send(replay))
        log.info("console: webhook event %s replayed by %s (%s)", event_id, console.actor, outcome.value)
        return Redirect(
            f"/admin/webhook-events/{quote(event_id, safe='')}?done={done('replay', outcome)}", status_code=303
        )


class NotificationsPages(Controller):
    path = "/notifications"

    @get("/")
    async def notifications(
        self, request: Request[Any, Any, Any], bus: NamedDependency[MessageBus], console: NamedDependency[Console]
    ) -> Template:
        statuses = tuple(NotificationStatus)
        status = _status(request.query_params.get("status", ""), statuses)
        chosen = None if status is None else NotificationStatus(status)
        result = await bus.send(ListNotifications(chosen, PAGE_SIZE, _cursor(request)))
        return page(
            "notifications.html",
            console=console,
            nav="notifications",
            rows=result.data,
            status=status or "",
            statuses=statuses,
            next_query=_next(status, result.next_cursor),
            notice=notice_for(request.query_params.get("done")),
        )

    @post("/{notification_id:str}/retry", status_code=303)
    async def retry(
        self,
        request: Request[Any, Any, Any],
        notification_id: Id,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Redirect:
        retry = RetryNotification(notification_id)
        outcome = await posted_action(request, console, "admin", lambda _: bus.send(retry))
        log.info("console: notification %s retried by %s (%s)", notification_id, console.actor, outcome.value)
        return Redirect(f"/admin/notifications?done={done('retry', outcome)}", status_code=303)
