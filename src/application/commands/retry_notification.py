from dataclasses import dataclass

from application.data.notifications import Notification
from application.messages import Command
from application.ports.clock import Clock
from application.ports.notifications import NotificationStore


@dataclass(frozen=True, slots=True)
class RetryNotification(Command[Notification]):
    notification_id: str


class RetryNotificationHandler:
    """An admin puts a notification back in the queue, due now, whatever its status (a dead one after the
    receiver was fixed, or a delivered one the receiver lost). The same id and body are sent again, so a
    receiver that dedupes on the id stays correct. Its age still counts from creation: if this attempt fails
    too, a notification past the max age goes dead again rather than retrying for days."""

    def __init__(self, notifications: NotificationStore, clock: Clock) -> None:
        self._store, self._clock = notifications, clock

    async def __call__(self, command: RetryNotification) -> Notification:
        return await self._store.retry(command.notification_id, self._clock.now())  # raises NotificationNotFound
