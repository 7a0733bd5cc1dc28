"""The Paystack calls we make, one HTTP request each, and the one place their failures are mapped.

- timeout, connection error, 3xx, 429, 5xx, or an answer we cannot read → ProviderUnavailable: the outcome is
  unknown, so nothing may be concluded from it (a refund stays pending, a checkout stays processing);
- 4xx, or `"status": false` → ProviderError with Paystack's own `message` (never our key or headers).

No call is ever retried here: Paystack has no idempotency keys, so a blind second POST could charge or refund
twice. Callers decide (the refund handler never re-sends; checkout retries with a fresh reference). The one
exception is key rotation (`PAYMENTS_PAYSTACK_SECRET_KEY=new,old`): calls are made with the first key, and only
a 401 (Paystack refused the key itself, so it did nothing) makes the same call with the next key. That closes
the window in which Paystack has rolled the key and our processes still call with the old one first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from application.errors import ProviderError, ProviderUnavailable
from infrastructure.providers.paystack.signature import PROVIDER
from infrastructure.providers.paystack.wire import Envelope, Failure, Initialized, RefundRecord, Transaction

T = TypeVar("T")

_MAX_MESSAGE = 300


class PaystackApi:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, secret_keys: Sequence[str], timeout_seconds: float
    ) -> None:
        if not secret_keys:
            raise ValueError("PaystackApi needs at least one secret key")
        self._http, self._base = http, base_url.rstrip("/")
        self._headers = [{"Authorization": f"Bearer {key}", "Accept": "application/json"} for key in secret_keys]
        self._timeout = httpx.Timeout(timeout_seconds)

    async def initialize(self, body: dict[str, Any]) -> Initialized:
        return await self._call("POST", "/transaction/initialize", Initialized, json=body)

    async def verify(self, reference: str) -> Transaction:
        return await self._call("GET", f"/transaction/verify/{quote(reference, safe='')}", Transaction)

    async def fetch_transaction(self, transaction_id: str) -> Transaction:
        return await self._call("GET", f"/transaction/{quote(transaction_id, safe='')}", Transaction)

    async def list_transactions(self, since: str, page: int, per_page: int) -> list[msgspec.Raw]:
        """One page of GET /transaction (newest first), each transaction's JSON as Paystack sent it."""
        params = {"from": since, "perPage": str(per_page), "page": str(page)}
        return await self._call("GET", "/transaction", list[msgspec.Raw], params=params)

    async def create_refund(self, body: dict[str, Any]) -> RefundRecord:
        return await self._call("POST", "/refund", RefundRecord, json=body)

    async def fetch_refund(self, refund_id: str) -> RefundRecord:
        return await self._call("GET", f"/refund/{quote(refund_id, safe='')}", RefundRecord)

    async def list_refunds(self, transaction_reference: str) -> list[RefundRecord]:
        # Paystack's reference names this filter `transaction`, its older SDKs `reference`; send both. Callers
        # still match each refund themselves, so an ignored filter costs nothing but a longer page.
        params = {"transaction": transaction_reference, "reference": transaction_reference, "perPage": "100"}
        return await self._call("GET", "/refund", list[RefundRecord], params=params)

    async def _call(
        self,
        method: str,
        path: str,
        answer: type[T],
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> T:
        for headers in self._headers[:-1]:  # rotation: the next key only after Paystack refused this one (401)
            try:
                return await self._call_with(headers, method, path, answer, json, params)
            except ProviderError as refused:
                if refused.status != 401:
                    raise
        return await self._call_with(self._headers[-1], method, path, answer, json, params)

    async def _call_with(
        self,
        headers: dict[str, str],
        method: str,
        path: str,
        answer: type[T],
        json: dict[str, Any] | None,
        params: dict[str, str] | None,
    ) -> T:
        what = f"{method} {path}"
        try:
            response = await self._http.request(
                method, self._base + path, json=json, params=params, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise ProviderUnavailable(PROVIDER, f"{what} timed out") from None
        except httpx.HTTPError as error:  # connection refused/reset, protocol errors: no answer at all
            raise ProviderUnavailable(PROVIDER, f"{what} failed: {type(error).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500 or 300 <= status < 400:
            raise ProviderUnavailable(PROVIDER, f"{what} answered {status}", _retry_after(response))
        if status >= 400:
            raise ProviderError(PROVIDER, _message(response.content, f"HTTP {status}"), status)
        try:
            envelope = msgspec.json.decode(response.content, type=Envelope[answer])  # type: ignore[valid-type]
        except msgspec.MsgspecError as error:
            raise ProviderUnavailable(PROVIDER, f"{what} answered {status} with an unreadable body: {error}") from None
        if not envelope.status or envelope.data is None:
            raise ProviderError(PROVIDER, _clip(envelope.message) or f"{what} was refused", status)
        data: T = envelope.data
        return data


def _message(content: bytes, default: str) -> str:
    try:
        return _clip(msgspec.json.decode(content, type=Failure).message) or default
    except msgspec.MsgspecError:
        return default


def _clip(message: str) -> str:
    return message.strip()[:_MAX_MESSAGE]


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("retry-after", "")
    return min(int(value), 3600) if value.isdigit() and int(value) > 0 else 30
