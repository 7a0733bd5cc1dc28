"""The start-up check of PAYMENTS_ORDER_CALLBACK_URL: the rule a checkout's `callback_url` is held to."""

from __future__ import annotations

from application.callback_addresses import callback_host, destination_refusal
from application.errors import CallbackUrlRefused
from infrastructure.callbacks.host_resolver import RESOLVE_TIMEOUT_SECONDS, resolve_blocking


def configured_callback_url_refusal(url: str, timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS) -> str | None:
    """Why callbacks may not go to `url` while private networks are refused, or None. A host name is resolved
    (for at most `timeout_seconds`): one that does not resolve at start is refused, as at checkout."""
    try:
        host = callback_host(url)
    except CallbackUrlRefused as refused:
        return refused.reason
    resolved = () if host.address is not None else resolve_blocking(host.name, timeout_seconds)
    return destination_refusal(host, resolved)
