"""The fake PayPal's webhook-events API (https://developer.paypal.com/docs/api/webhooks/v1/): every event the fake
made (`FakePayPal.webhook`) is kept, as PayPal keeps them, whether or not a test delivered it.

- `GET /v1/notifications/webhooks-events?page_size=&start_time=&end_time=&next_page_token=`: newest first,
  `{"events": [...], "count": n, "links": [{"href": …, "rel": "next", "method": "GET"}]}`; times are
  `YYYY-MM-DDTHH:MM:SSZ`, both ends inclusive; `page_size` 1 to 300 (PayPal's bounds; 400 otherwise).
- `GET /v1/notifications/webhooks-events/{id}`: the event, or 404 `INVALID_RESOURCE_ID`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.provider_fakes.paypal_resources import Json, error

Answer = tuple[int, Json]
Handler = Callable[[re.Match[str], dict[str, str], bytes], Awaitable[Answer]]
BASE = "https://api-m.sandbox.paypal.com"


class EventRoutes:
    events: list[bytes]  # every event body made, oldest first

    def keep_event(self, body: bytes) -> None:
        self.events.append(body)

    def _routes_of_events(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("GET", r"/v1/notifications/webhooks-events(?:\?(.*))?", "list_events", self._list_events),
            ("GET", r"/v1/notifications/webhooks-events/([^/?]+)", "get_event", self._get_event),
        ]

    async def _list_events(self, match: re.Match[str], _: dict[str, str], __: bytes) -> Answer:
        query = {k: v[0] for k, v in parse_qs(match.group(1) or "").items()}
        size = int(query.get("page_size", "10"))
        if not 1 <= size <= 300:
            return 400, error("INVALID_REQUEST", "page_size must be between 1 and 300")
        listed = [json.loads(body) for body in reversed(self.events)]  # newest first
        start, end = query.get("start_time"), query.get("end_time")
        listed = [e for e in listed if (start is None or e["create_time"] >= start)]
        listed = [e for e in listed if (end is None or e["create_time"] <= end)]
        offset = int(query.get("next_page_token", "0"))
        page = listed[offset : offset + size]
        links: list[Any] = []
        if offset + size < len(listed):
            following = urlencode({**query, "next_page_token": str(offset + size)})
            links.append(
                {"href": f"{BASE}/v1/notifications/webhooks-events?{following}", "rel": "next", "method": "GET"}
            )
        return 200, {"events": page, "count": len(page), "links": links}

    async def _get_event(self, match: re.Match[str], _: dict[str, str], __: bytes) -> Answer:
        for body in self.events:
            event: Json = json.loads(body)
            if event["id"] == match.group(1):
                return 200, event
        return 404, error("INVALID_RESOURCE_ID", "Resource id is invalid.")
