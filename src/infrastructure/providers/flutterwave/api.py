"""Flutterwave's v3 REST API over `httpx`: the five calls we make, one mapping of failures onto the port.

Answers are the envelope `{"status": "success"|"error", "message": "…", "data": {…}}`
(https://developer.flutterwave.com/v3.0.0/reference). Amounts are decimal major units: decoded straight into
Decimal by msgspec (never through float), sent as exact JSON numbers built from Decimal.

- timeout, connection error, 3xx (never followed), 429, 5xx, or a 2xx we cannot read → ProviderUnavailable:
  the outcome is unknown, so a refund stays pending rather than being marked failed;
- other 4xx, or `status: "error"` → ProviderError with Flutterwave's `message`.
Nothing is retried here: v3 has no idempotency keys, and a refund sent twice is money sent twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from application.errors import ProviderError, ProviderUnavailable

PROVIDER = "flutterwave"
T = TypeVar("T")

# Decimal → JSON number, digit for digit: `Decimal("100.50")` is sent as `100.50`, never via a float.
_ENCODER = msgspec.json.Encoder(decimal_format="number")


class Transaction(msgspec.Struct):
    """`data` of GET /v3/transactions/{id}/verify and /v3/transactions/verify_by_reference."""

    id: int | str
    tx_ref: str
    status: str  # "successful" | "failed" | "pending" | …
    amount: Decimal
    currency: str
    processor_response: str | None = None


class RefundRecord(msgspec.Struct):
    """`data` of POST /v3/transactions/{id}/refund and GET /v3/refunds/{id}."""

    id: int | str
    status: str  # "completed" | "pending" | "failed" | …
    amount_refunded: Decimal
    tx_id: int | str | None = None
    comments: str | None = None


class _Link(msgspec.Struct):
    link: str


class _Envelope(msgspec.Struct, Generic[T]):
    status: str
    message: str = ""
    data: T | None = None


class _Problem(msgspec.Struct):  # an error answer: only its message interests us
    message: str = ""


class FlutterwaveApi:
    def __init__(self, base_url: str, secret_key: str, http: httpx.AsyncClient, timeout_seconds: float) -> None:
        self._base = base_url.rstrip("/")
        self._secret, self._http, self._timeout = secret_key, http, timeout_seconds

    async def create_payment(self, body: dict[str, Any]) -> str:
        """POST /v3/payments (Flutterwave Standard) → the hosted payment link."""
        link = await self._call("POST", "/v3/payments", _Link, body=body)
        assert link is not None  # None only where a miss is allowed (lookups)
        return link.link

    async def verify(self, transaction_id: str) -> Transaction | None:
        path = f"/v3/transactions/{quote(transaction_id, safe='')}/verify"
        return await self._call("GET", path, Transaction, missing_ok=True)

    async def verify_by_reference(self, tx_ref: str) -> Transaction | None:
        # None until the customer has tried to pay: Flutterwave knows a tx_ref only from then on.
        path = "/v3/transactions/verify_by_reference"
        return await self._call("GET", path, Transaction, missing_ok=True, params={"tx_ref": tx_ref})

    async def refund(self, transaction_id: str, amount: Decimal, comments: str) -> RefundRecord:
        path = f"/v3/transactions/{quote(transaction_id, safe='')}/refund"
        record = await self._call("POST", path, RefundRecord, body={"amount": amount, "comments": comments})
        assert record is not None
        return record

    async def get_refund(self, refund_id: str) -> RefundRecord | None:
        return await self._call("GET", f"/v3/refunds/{quote(refund_id, safe='')}", RefundRecord, missing_ok=True)

    async def _call(
        self,
        method: str,
        path: str,
        kind: type[T],
        *,
        missing_ok: bool = False,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> T | None:
        headers = {"Authorization": f"Bearer {self._secret}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        content = None if body is None else _ENCODER.encode(body)
        try:
            url, timeout = self._base + path, self._timeout
            response = await self._http.request(
                method, url, content=content, params=params, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException:
            raise ProviderUnavailable(PROVIDER, f"{method} {path} timed out after {self._timeout:g} s") from None
        except httpx.HTTPError as error:  # connection refused, reset, DNS, protocol errors
            raise ProviderUnavailable(PROVIDER, f"{method} {path} failed: {type(error).__name__}") from None
        status = response.status_code
        if status == 429 or not (200 <= status < 300 or 400 <= status < 500):
            raise ProviderUnavailable(PROVIDER, f"{method} {path} answered HTTP {status}")
        if status >= 400:
            message = self._message(response.content)
            if missing_ok and _is_missing(status, message):
                return None
            raise ProviderError(PROVIDER, message, status)
        try:
            envelope = msgspec.json.decode(response.content, type=_Envelope[kind])  # type: ignore[valid-type]
        except msgspec.MsgspecError as error:
            raise ProviderUnavailable(PROVIDER, f"{method} {path}: unreadable answer ({error})") from None
        if envelope.status != "success" or envelope.data is None:
            raise ProviderError(PROVIDER, self._clean(envelope.message) or "no data in the answer", status)
        return envelope.data

    def _message(self, content: bytes) -> str:
        try:
            message = msgspec.json.decode(content, type=_Problem).message
        except msgspec.MsgspecError:
            message = ""
        return self._clean(message) or "request refused"

    def _clean(self, message: str) -> str:
        # Flutterwave's message is shown to our API clients: make sure our key can never travel with it.
        return message.replace(self._secret, "[secret]")[:300] if self._secret else message[:300]


def _is_missing(status: int, message: str) -> bool:
    # Flutterwave answers an unknown id or tx_ref with 400 (sometimes 404) and "No transaction was found …".
    lowered = message.lower()
    return status == 404 or (status == 400 and ("not found" in lowered or "no transaction" in lowered))
