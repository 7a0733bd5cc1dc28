"""The edge's limit on the request's header size (plain ASGI): where exactly it is, and what a refusal is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interfaces.http.edge import MAX_HEADER_BYTES, EdgeMiddleware


class CountedRequests:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.seen.append((method, route, status))


async def answer(headers: list[tuple[bytes, bytes]]) -> tuple[list[dict[str, Any]], bool, CountedRequests]:
    """What the edge sent, whether the app behind it ran, and what was counted."""
    ran = False

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal ran
        ran = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    metrics = CountedRequests()
    edge = EdgeMiddleware(app, metrics=metrics, https=False, problem_type_base="https://pay.example/problems/")
    scope = {"type": "http", "path": "/api/v1/transactions", "method": "GET", "headers": headers}
    await edge(scope, receive, send)  # type: ignore[arg-type]
    return sent, ran, metrics


def headers_of_size(size: int) -> list[tuple[bytes, bytes]]:
    """A request id and one filler header whose names and values add up to exactly `size` bytes."""
    request_id = (b"x-request-id", b"hdr-limit-1")
    used = len(request_id[0]) + len(request_id[1]) + len(b"x-filler")
    return [request_id, (b"x-filler", b"a" * (size - used))]


async def test_headers_of_exactly_the_limit_pass() -> None:
    sent, ran, metrics = await answer(headers_of_size(MAX_HEADER_BYTES))
    assert ran
    assert sent[0]["status"] == 200
    assert metrics.seen == [("GET", "unmatched", 200)]


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1, 20_000_000])
async def test_headers_over_the_limit_are_a_431_problem_and_the_app_never_runs(size: int) -> None:
    sent, ran, metrics = await answer(headers_of_size(size))
    assert not ran
    start, body = sent
    assert start["status"] == 431
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"x-request-id"] == b"hdr-limit-1"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert int(headers[b"content-length"]) == len(body["body"])
    assert json.loads(body["body"]) == {
        "type": "https://pay.example/problems/headers-too-large",
        "title": "Request headers too large",
        "status": 431,
        "detail": f"The request's headers add up to {size} bytes; at most {MAX_HEADER_BYTES} are accepted.",
        "instance": "/api/v1/transactions",
        "request_id": "hdr-limit-1",
    }
    assert metrics.seen == [("GET", "unmatched", 431)]
