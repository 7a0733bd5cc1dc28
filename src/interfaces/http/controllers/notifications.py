"""Outgoing order callbacks, for admins: list, inspect with every attempt, and retry."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from application.bus import MessageBus
from application.commands.retry_notification import RetryNotification
from application.data.notifications import NotificationStatus
from application.queries.get_notification import GetNotification
from application.queries.list_notifications import ListNotifications
from interfaces.http.auth import requires
from interfaces.http.openapi import LIST_REFUSED, SECURITY, problem_responses
from interfaces.http.route_handlers import get, post
from interfaces.http.schemas.notifications import (
    NotificationDetailResponse,
    NotificationPageResponse,
    NotificationResponse,
)
from interfaces.http.schemas.paging import PageCursor, PageLimit

Status = Literal["pending", "delivered", "failed", "dead"]
NotificationId = Annotated[str, PathParameter(min_length=1, max_length=64)]


class NotificationsController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    guards = [requires("admin")]
    security = SECURITY

    @get(
        "/",
        summary="Outgoing notifications, newest first",
        responses=problem_responses(401, 403, 422, described={422: LIST_REFUSED}),
    )
    async def list_notifications(
        self,
        bus: NamedDependency[MessageBus],
        status: FromQuery[Status | None] = None,
        limit: PageLimit = 50,
        cursor: PageCursor = None,
    ) -> NotificationPageResponse:
        wanted = NotificationStatus(status) if status is not None else None
        return NotificationPageResponse.from_page(await bus.send(ListNotifications(wanted, limit, cursor)))

    @get(
        "/{notification_id:str}",
        summary="One notification with its body and every delivery attempt",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def notification(
        self, notification_id: NotificationId, bus: NamedDependency[MessageBus]
    ) -> NotificationDetailResponse:
        return NotificationDetailResponse.from_detail(await bus.send(GetNotification(notification_id)))

    @post(
        "/{notification_id:str}/retry",
        summary="Send a notification again (due now), whatever its status",
        status_code=HTTP_202_ACCEPTED,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def retry(self, notification_id: NotificationId, bus: NamedDependency[MessageBus]) -> NotificationResponse:
        return NotificationResponse.from_notification(await bus.send(RetryNotification(notification_id)))
