"""The Mollie v2 calls we make, one HTTP request each, and the one place their failures are mapped.

- timeout, connection error, 3xx (never followed), 429, 5xx, or a 2xx we cannot read → ProviderUnavailable: the
  outcome is unknown, so nothing may be concluded from it (a refund stays pending, a checkout stays processing);
- other 4xx → ProviderError with Mollie's own `detail` (and `field`), never our key or headers.

POSTs carry an `Idempotency-Key` (https://docs.mollie.com/reference/api-idempotency): Mollie answers a repeat of
the same request under the same key with the first answer instead of creating a second payment or refund. The
callers choose the key (our payment id, our refund id). Still nothing is retried here: the refund handler never
re-sends a refund, and a checkout is only asked again when the client retries it.

Key rotation (`PAYMENTS_MOLLIE_API_KEY=new,old`): every call is made with the first key; only when Mollie
answers 401 (the key is not, or no longer, valid) or 404 (the payment was made under another key) is the same
call made with the next key. Both answers mean Mollie did nothing, so the repeat can never create a second
payment or refund; every other answer, and a timeout, ends the call as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import msgspec

from application.errors import ProviderError, ProviderUnavailable
from infrastructure.providers.mollie import wire
from infrastructure.providers.mollie.wire import PROVIDER

T = TypeVar("T")

_MAX_MESSAGE = 300
_PAGE = 250  # Mollie's largest page for list endpoints
_NOT_DONE = frozenset({401, 404})  # answers after which the next key may be tried: Mollie did nothing
_MAX_PAGES = 20  # 5000 refunds of one payment: beyond any real payment, and a bound on a confused answer


class MollieApi:
    def __init__(self, http: httpx.AsyncClient, base_url: str, api_keys: Sequence[str], timeout_seconds: float) -> None:
        if not api_keys:
            raise ValueError("MollieApi needs at least one API key")
        self._http, self._base, self._keys = http, base_url.rstrip("/"), tuple(api_keys)
        self._timeout = timeout_seconds

    async def create_payment(self, body: dict[str, Any], idempotency_key: str) -> wire.Payment:
        return await self._call("POST", "/v2/payments", wire.Payment, body=body, idempotency_key=idempotency_key)

    async def get_payment(self, payment_id: str) -> wire.Payment:
        return await self._call("GET", f"/v2/payments/{quote(payment_id, safe='')}", wire.Payment)

    async def create_refund(self, payment_id: str, body: dict[str, Any], idempotency_key: str) -> wire.Refund:
        path = f"/v2/payments/{quote(payment_id, safe='')}/refunds"
        return await self._call("POST", path, wire.Refund, body=body, idempotency_key=idempotency_key)

    async def list_refunds(self, payment_id: str) -> list[wire.Refund]:
        """Every refund of the payment, oldest first, page by page (`from` = the next page's first id)."""
        path = f"/v2/payments/{quote(payment_id, safe='')}/refunds"
        refunds: list[wire.Refund] = []
        params = {"limit": str(_PAGE)}
        for _ in range(_MAX_PAGES):
            page = await self._call("GET", path, wire.RefundList, params=params)
            refunds.extend(page.embedded.refunds)
            start = _next_from(page.links.next)
            if start is None:
                return refunds
            params = {"limit": str(_PAGE), "from": start}
        raise ProviderUnavailable(PROVIDER, f"GET {path} did not end after {_MAX_PAGES} pages")

    async def payments_page(self, start: str | None) -> tuple[list[msgspec.Raw], str | None]:
        """One page of GET /v2/payments (newest first, each payment's raw JSON) and the id the next page starts
        from (None after the last page)."""
        params = {"limit": str(_PAGE)} if start is None else {"limit": str(_PAGE), "from": start}
        page = await self._call("GET", "/v2/payments", wire.PaymentList, params=params)
        return page.embedded.payments, _next_from(page.links.next)

    async def _call(
        self,
        method: str,
        path: str,
        kind: type[T],
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> T:
        refused: ProviderError | None = None
        for key in self._keys:  # rotation: the next key only after an answer that means nothing was done
            try:
                return await self._call_with(key, method, path, kind, body, params, idempotency_key)
            except ProviderError as error:
                if error.status not in _NOT_DONE:
                    raise
                # the first refusal that is not 401 says most (a 404 under a valid key), else the first 401
                if refused is None or (refused.status == 401 and error.status != 401):
                    refused = error
        assert refused is not None  # at least one key, and every one was refused
        raise refused

    async def _call_with(
        self,
        key: str,
        method: str,
        path: str,
        kind: type[T],
        body: dict[str, Any] | None,
        params: dict[str, str] | None,
        idempotency_key: str | None,
    ) -> T:
        what = f"{method} {path}"
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/hal+json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if body is not None:
            headers["Content-Type"] = "application/json"
        content = None if body is None else msgspec.json.encode(body)
        try:
            response = await self._http.request(
                method, self._base + path, content=content, params=params, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise ProviderUnavailable(PROVIDER, f"{what} timed out after {self._timeout:g} s") from None
        except httpx.HTTPError as error:  # connection refused or reset, DNS, protocol errors: no answer at all
            raise ProviderUnavailable(PROVIDER, f"{what} failed: {type(error).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500 or 300 <= status < 400:
            raise ProviderUnavailable(PROVIDER, f"{what} answered {status}", _retry_after(response))
        if status >= 400:
            raise ProviderError(PROVIDER, self._message(response.content, status), status)
        try:
            return msgspec.json.decode(response.content, type=kind)
        except msgspec.MsgspecError as error:
            raise ProviderUnavailable(PROVIDER, f"{what} answered {status} with an unreadable body: {error}") from None

    def _message(self, content: bytes, status: int) -> str:
        try:
            error = msgspec.json.decode(content, type=wire.Error)
        except msgspec.MsgspecError:
            error = wire.Error()
        text = error.detail.strip() or error.title.strip() or f"HTTP {status}"
        if error.field:
            text = f"{text} (field {error.field})"
        # Mollie's detail is shown to our API clients: make sure our key can never travel with it.
        for key in self._keys:
            text = text.replace(key, "[api key]")
        return text[:_MAX_MESSAGE]


def _next_from(link: wire.Link | None) -> str | None:
    if link is None:
        return None
    start = parse_qs(urlsplit(link.href).query).get("from", [""])[0]
    return start or None


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("retry-after", "")
    return min(int(value), 3600) if value.isdigit() and int(value) > 0 else 30
