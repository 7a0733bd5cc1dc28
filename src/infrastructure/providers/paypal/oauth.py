"""PayPal OAuth 2.0 client credentials (https://developer.paypal.com/api/rest/authentication/).

`POST /v1/oauth2/token` with HTTP Basic `client_id:client_secret` and `grant_type=client_credentials` answers a
bearer token valid for `expires_in` seconds (about 9 hours). Asking for a token on every call is slow and PayPal
rate-limits the endpoint, so one token is cached and shared until shortly before it expires; an asyncio.Lock
makes concurrent callers wait for one refresh instead of each fetching their own. A 401 on an API call
(PayPal revoked or rotated the token early) makes the caller `forget` that token, so the next `get` refreshes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import msgspec

from application.errors import ProviderError
from application.ports.clock import Clock
from infrastructure.providers.paypal.errors import NAME, refusal, unreachable
from infrastructure.providers.paypal.wire import AccessToken

EARLY_REFRESH = timedelta(minutes=5)  # never hand out a token that may expire while its request is in flight


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: datetime


class PayPalAccessTokens:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        clock: Clock,
        timeout: float,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/v1/oauth2/token"
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._http, self._clock, self._timeout = http, clock, timeout
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:  # one refresh at a time; those who waited find the new token
            token = self._fresh()
            if token is None:
                self._token = await self._fetch()
                token = self._token.value
            return token

    def forget(self, value: str) -> None:
        """PayPal refused `value`; the next `get` fetches a new one (unless someone already did)."""
        if self._token is not None and self._token.value == value:
            self._token = None

    def _fresh(self) -> str | None:
        token = self._token
        return token.value if token is not None and self._clock.now() < token.refresh_at else None

    async def _fetch(self) -> _Token:
        asked_at = self._clock.now()  # the lifetime counts from before the request: err on the early side
        try:
            response = await self._http.post(
                self._url,
                data={"grant_type": "client_credentials"},
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise unreachable(error, "token request") from None
        if response.status_code != 200:
            raise refusal(response, "token request")
        try:
            answer = msgspec.json.decode(response.content, type=AccessToken)
        except msgspec.DecodeError as error:
            raise ProviderError(NAME, f"unreadable token answer: {error}") from None
        lifetime = timedelta(seconds=answer.expires_in)
        return _Token(answer.access_token, asked_at + lifetime - min(EARLY_REFRESH, lifetime / 10))
