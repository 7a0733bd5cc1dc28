from dataclasses import dataclass

from application.data.notifications import NotificationPage, NotificationStatus
from application.messages import Query
from application.ports.notifications import NotificationStore
from application.queries.paging import page_size


@dataclass(frozen=True, slots=True)
class ListNotifications(Query[NotificationPage]):
    status: NotificationStatus | None = None
    limit: int = 50
    cursor: str | None = None


class ListNotificationsHandler:
    """Outgoing order callbacks, newest first, keyset-paginated (for admins)."""

    def __init__(self, notifications: NotificationStore) -> None:
        self._store = notifications

    async def __call__(self, query: ListNotifications) -> NotificationPage:
        return await self._store.list(query.status, page_size(query.limit), query.cursor)
