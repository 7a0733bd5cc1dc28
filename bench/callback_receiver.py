"""The order system's end of the callbacks for the `outbox` scenario: answers every POST 200 at once and counts it.

A bare ASGI app under uvicorn (uvloop, httptools), so that receiving costs the machine as little as possible and
the figures are the worker's. It checks that each callback is signed (`Payments-Signature` present) and counts
the ones that are not, so a worker that stopped signing cannot look fast. GET /count answers the two counts.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
counts = {"received": 0, "unsigned": 0}


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] == "POST":
        more = True
        while more:  # read the whole body, as a real receiver would
            message = await receive()
            more = message.get("more_body", False)
        signed = any(name == b"payments-signature" for name, _ in scope["headers"])
        counts["received" if signed else "unsigned"] += 1
        await _answer(send, 200, b"")
        return
    await _answer(send, 200, json.dumps(counts).encode())


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", log_level="warning")


if __name__ == "__main__":
    main()
