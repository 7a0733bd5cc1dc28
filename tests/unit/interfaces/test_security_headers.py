"""Security headers at the edge (plain ASGI): what it adds, where, and what it leaves to the route."""

from __future__ import annotations

from typing import Any

import pytest

from interfaces.http.edge import EdgeMiddleware
from interfaces.http.security_headers import API_CSP, DOCS_CSP, HSTS


class NoMetrics:
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        pass


def edge(app: Any, *, https: bool) -> EdgeMiddleware:
    return EdgeMiddleware(app, metrics=NoMetrics(), https=https)


def inner_app(headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    return app


async def respond(
    path: str, *, https: bool = False, route_headers: list[tuple[bytes, bytes]] | None = None
) -> list[tuple[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    middleware = edge(inner_app(route_headers or []), https=https)
    await middleware({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)  # type: ignore[arg-type]
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == b"{}"
    headers: list[tuple[bytes, bytes]] = sent[0]["headers"]
    return [(name, value) for name, value in headers if name != b"x-request-id"]  # the edge's, tested elsewhere


def as_dict(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), f"a header is sent twice: {names}"
    return {name.decode(): value.decode() for name, value in headers}


@pytest.mark.parametrize("path", ["/api/v1/transactions", "/health", "/nope", "/schemas", "/problems/not-found"])
async def test_api_responses_get_the_strict_set(path: str) -> None:
    headers = as_dict(await respond(path, route_headers=[(b"content-type", b"application/json")]))
    assert headers == {
        "content-type": "application/json",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "content-security-policy": API_CSP,
        "cache-control": "no-store",
    }
    assert API_CSP == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    "path", ["/schema", "/schema/", "/schema/swagger", "/schema/openapi.json", "/schema/assets/api-docs.js"]
)
async def test_the_docs_pages_get_a_policy_that_lets_them_load_their_own_files_only(path: str) -> None:
    headers = as_dict(await respond(path))
    assert headers["content-security-policy"] == DOCS_CSP
    directives = {words[0]: words[1:] for words in (part.split() for part in DOCS_CSP.split(";"))}
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no CDN, no inline script
    assert directives["style-src"] == ["'self'"]
    sources = {source for values in directives.values() for source in values}
    assert sources == {"'none'", "'self'", "data:"}  # data: only for the stylesheet's inline icons
    assert directives["img-src"] == ["'self'", "data:"]
    assert "cache-control" not in headers
    assert headers["x-content-type-options"] == "nosniff"


async def test_hsts_only_when_the_public_url_is_https() -> None:
    assert "strict-transport-security" not in as_dict(await respond("/health"))
    assert as_dict(await respond("/health", https=True))["strict-transport-security"] == HSTS
    assert as_dict(await respond("/schema", https=True))["strict-transport-security"] == HSTS


async def test_a_header_the_route_set_itself_is_kept_and_not_repeated() -> None:
    own = [(b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'"), (b"cache-control", b"x")]
    headers = as_dict(await respond("/simulator/checkout/pay_1", route_headers=own))
    assert headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert headers["cache-control"] == "x"
    assert headers["x-frame-options"] == "DENY"


async def test_other_scopes_pass_through_untouched() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "lifespan.startup.complete"})

    async def send(message: dict[str, Any]) -> None:
        seen.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    await edge(app, https=True)({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    assert seen == [{"type": "lifespan.startup.complete"}]
