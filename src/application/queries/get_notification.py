from dataclasses import dataclass

from application.data.notifications import NotificationDetail
from application.errors import NotificationNotFound
from application.messages import Query
from application.ports.notifications import NotificationStore


@dataclass(frozen=True, slots=True)
class GetNotification(Query[NotificationDetail]):
    notification_id: str


class GetNotificationHandler:
    """One notification with every delivery attempt, oldest first."""

    def __init__(self, notifications: NotificationStore) -> None:
        self._store = notifications

    async def __call__(self, query: GetNotification) -> NotificationDetail:
        detail = await self._store.get(query.notification_id)
        if detail is None:
            raise NotificationNotFound(query.notification_id)
        return detail
