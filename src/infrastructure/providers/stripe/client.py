"""The official SDK's client, configured for us: async HTTPX, our base URL, our timeout, no SDK retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import stripe


class _SharedHTTPXClient(stripe.HTTPXClient):
    """The SDK's async HTTPX client, sending through the service's own pooled `httpx.AsyncClient`.

    The SDK opens a private AsyncClient that nothing would close; reusing ours gives Stripe calls the same pool
    and shutdown as every other outgoing call. If a future SDK renames the attribute, it simply keeps its own.
    """

    def __init__(self, http: httpx.AsyncClient, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._client_async = http

    def _get_request_args_kwargs(self, method: str, url: str, headers: Mapping[str, str], post_data: Any) -> list[Any]:
        """The SDK passes its already form-encoded body as `data=<str>`, which httpx deprecates for raw
        content; send the same bytes as `content=` instead."""
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        return [args, kwargs]


def build_client(secret_key: str, api_base: str, http: httpx.AsyncClient, timeout: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        http_client=_SharedHTTPXClient(http, timeout),
        base_addresses={"api": api_base.rstrip("/")},
        # Retrying is ours to decide: the SDK would retry a timed-out POST within our deadline, and our callers
        # (the client's own retry with the same Idempotency-Key, the janitor) already retry with the same key.
        max_network_retries=0,
    )
