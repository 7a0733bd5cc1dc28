"""How many payments were created per hour: the console's overview chart."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PaymentActivity(Protocol):
    async def created_per_hour(self, since: datetime, hours: int) -> tuple[int, ...]:
        """Payments created in each of the `hours` hours starting at `since`, oldest hour first."""
        ...
