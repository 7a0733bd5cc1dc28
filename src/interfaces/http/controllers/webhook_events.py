"""Admin: received provider webhook events, and replaying one through the webhook path."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter

from application.bus import MessageBus
from application.commands.replay_webhook_event import ReplayWebhookEvent
from application.data.webhook_events import WebhookEventFilter
from application.queries.get_webhook_event import GetWebhookEvent
from application.queries.list_webhook_events import ListWebhookEvents
from interfaces.http.auth import caller_of, requires
from interfaces.http.openapi import LIST_REFUSED, SECURITY, problem_responses, success
from interfaces.http.route_handlers import get, post
from interfaces.http.schemas.common import ProviderName
from interfaces.http.schemas.paging import PageCursor, PageLimit
from interfaces.http.schemas.webhook_events import (
    WebhookEventDetailResponse,
    WebhookEventPageResponse,
    WebhookEventResponse,
    WebhookEventStatus,
)

EventId = Annotated[str, PathParameter(min_length=1, max_length=64)]


class WebhookEventsController(Controller):
    path = "/api/v1/webhook-events"
    tags = ["webhook events"]
    guards = [requires("admin")]
    security = SECURITY

    @get(
        "/",
        summary="Received provider webhook events, newest first",
        responses=problem_responses(401, 403, 422, described={422: LIST_REFUSED}),
    )
    async def list_events(
        self,
        bus: NamedDependency[MessageBus],
        provider: FromQuery[ProviderName | None] = None,
        status: FromQuery[WebhookEventStatus | None] = None,
        limit: PageLimit = 50,
        cursor: PageCursor = None,
    ) -> WebhookEventPageResponse:
        page = await bus.send(ListWebhookEvents(WebhookEventFilter(provider, status), limit, cursor))
        return WebhookEventPageResponse.from_page(page)

    @get(
        "/{event_id:str}",
        summary="One received event, with its headers (no credentials) and raw body",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def event(self, event_id: EventId, bus: NamedDependency[MessageBus]) -> WebhookEventDetailResponse:
        return WebhookEventDetailResponse.from_view(await bus.send(GetWebhookEvent(event_id)))

    @post(
        "/{event_id:str}/replay",
        status_code=202,
        summary="Reprocess one event through the webhook path (verification and state machine)",
        description="A processed event replayed changes nothing. The answer is the event as stored afterwards.",
        responses={
            202: success(WebhookEventResponse, "The event after its replay"),
            **problem_responses(401, 403, 404, 409, 422, 503, described={409: "webhook-body-purged"}),
        },
    )
    async def replay(
        self, request: Request[Any, Any, Any], event_id: EventId, bus: NamedDependency[MessageBus]
    ) -> Response[WebhookEventResponse]:
        replayed = await bus.send(ReplayWebhookEvent(event_id, actor=caller_of(request).name))
        return Response(WebhookEventResponse.from_view(replayed), status_code=202)
