"""A fake external risk scorer (raw ASGI; serve it with `running(fake)`), speaking API.md's scorer contract.

`POST /score` with the checkout's facts as JSON answers `{"decision", "score", "reasons"}`. What it answers is
set by `mode`: `allow`, `review`, `block` (a proper answer), `slow` (a proper `allow`, `delay` seconds late),
`down` (503), `garbage` (200 with a body that is not the contract's shape), `not_json` (200, not JSON at all).
`calls` records every request body, so a test can see what the scorer was told (and that it had no secrets).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

ANSWERS: dict[str, dict[str, Any]] = {
    "allow": {"decision": "allow", "score": 5, "reasons": []},
    "review": {"decision": "review", "score": 55, "reasons": ["scorer-new-device"]},
    "block": {"decision": "block", "score": 97, "reasons": ["scorer-stolen-card"]},
}


class FakeRiskScorer:
    def __init__(self, mode: str = "allow", delay: float = 2.0) -> None:
        self.mode, self.delay = mode, delay
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/__health":
            await _answer(send, 200, b"{}")
            return
        self.calls.append(json.loads(body))
        await self._score(send)

    async def _score(self, send: Any) -> None:
        mode = self.mode
        if mode == "slow":
            await asyncio.sleep(self.delay)
            mode = "allow"
        if mode == "down":
            await _answer(send, 503, b'{"error": "maintenance"}')
        elif mode == "garbage":
            await _answer(send, 200, json.dumps({"decision": "maybe", "score": 300}).encode())
        elif mode == "not_json":
            await _answer(send, 200, b"<html>Scorer dashboard</html>")
        else:
            await _answer(send, 200, json.dumps(ANSWERS[mode]).encode())


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
