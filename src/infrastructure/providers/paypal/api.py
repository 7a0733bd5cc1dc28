"""Authenticated JSON calls to PayPal's REST API (https://developer.paypal.com/api/rest/requests/).

Every call carries a fresh-enough bearer token; a 401 means PayPal no longer accepts it (revoked, rotated), so
the token is dropped and the call made once more with a new one, never more. `PayPal-Request-Id` is PayPal's
idempotency key: a repeated request with the same id returns the first one's result instead of acting twice
(https://developer.paypal.com/api/rest/reference/idempotency/). `Prefer: return=representation` asks for the
whole resource, so a capture's answer includes its captures and amounts.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from application.errors import ProviderError
from infrastructure.providers.paypal.errors import NAME, refusal, unreachable
from infrastructure.providers.paypal.oauth import PayPalAccessTokens
from infrastructure.providers.paypal.wire import Order

T = TypeVar("T")


class PayPalApi:
    def __init__(self, base_url: str, http: httpx.AsyncClient, tokens: PayPalAccessTokens, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._http, self._tokens, self._timeout = http, tokens, timeout

    async def get(self, path: str, into: type[T]) -> T:
        return await self._call("GET", path, into, None, None)

    async def post(
        self,
        path: str,
        into: type[T],
        *,
        json: Any = None,
        content: bytes | None = None,
        request_id: str | None = None,
    ) -> T:
        body = content if content is not None else msgspec.json.encode(json) if json is not None else None
        return await self._call("POST", path, into, body, request_id)

    async def act(self, path: str, *, request_id: str | None = None) -> None:
        """A POST whose answer we do not read: PayPal may answer `204 No Content` (e.g. a void)."""
        await self._respond("POST", path, None, request_id)

    async def order(self, order_id: str) -> Order:
        """The order as PayPal shows it now, with its authorization, captures and refunds."""
        return await self.get(f"/v2/checkout/orders/{segment(order_id)}", Order)

    async def _call(self, method: str, path: str, into: type[T], body: bytes | None, request_id: str | None) -> T:
        response = await self._respond(method, path, body, request_id)
        try:
            return msgspec.json.decode(response.content, type=into)
        except msgspec.DecodeError as error:
            raise ProviderError(NAME, f"{method} {path}: unreadable answer: {error}") from None

    async def _respond(self, method: str, path: str, body: bytes | None, request_id: str | None) -> httpx.Response:
        """PayPal's 2xx answer; its refusal or unavailability as the port's errors."""
        what = f"{method} {path}"
        token = await self._tokens.get()
        response = await self._send(method, path, body, token, request_id, what)
        if response.status_code == 401:  # PayPal no longer takes this token: once more with a new one
            self._tokens.forget(token)
            response = await self._send(method, path, body, await self._tokens.get(), request_id, what)
        if not 200 <= response.status_code < 300:
            raise refusal(response, what)
        return response

    async def _send(
        self, method: str, path: str, body: bytes | None, token: str, request_id: str | None, what: str
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Prefer": "return=representation",
        }
        if request_id is not None:
            headers["PayPal-Request-Id"] = request_id
        try:
            return await self._http.request(
                method, self._base + path, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as error:
            raise unreachable(error, what) from None


def segment(value: str) -> str:
    """An id from PayPal or our store, made safe as one path segment."""
    return quote(value, safe="")
