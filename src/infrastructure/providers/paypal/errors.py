"""How PayPal's HTTP answers become the port's errors (https://developer.paypal.com/api/rest/responses/).

4xx: PayPal refused → ProviderError carrying PayPal's `message`/`details[0].description`, its error `name` and
`details[0].issue` (e.g. `ORDER_ALREADY_CAPTURED`), so callers can act on one specific refusal.
429, 5xx, timeouts, connection errors → ProviderUnavailable: nothing was refused, try again later.
Messages never carry credentials: only PayPal's own error text and its `debug_id` (what PayPal support asks for).
"""

from __future__ import annotations

import httpx
import msgspec

from application.errors import ProviderError, ProviderUnavailable
from infrastructure.providers.paypal.wire import ApiError

NAME = "paypal"


class PayPalRefused(ProviderError):
    def __init__(self, message: str, status: int, name: str | None = None, issue: str | None = None) -> None:
        super().__init__(NAME, message, status)
        self.name, self.issue = name, issue


def unreachable(error: httpx.HTTPError, what: str) -> ProviderUnavailable:
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else f"failed ({type(error).__name__})"
    return ProviderUnavailable(NAME, f"{what} {kind}")


def refusal(response: httpx.Response, what: str) -> PayPalRefused | ProviderUnavailable:
    """The error for a non-2xx answer."""
    status = response.status_code
    if status == 429 or status >= 500:
        return ProviderUnavailable(NAME, f"{what} answered {status}", _retry_after(response))
    try:
        error = msgspec.json.decode(response.content, type=ApiError)
    except msgspec.DecodeError:
        error = ApiError()
    detail = error.details[0] if error.details else None
    issue = detail.issue if detail else None
    text = (detail.description if detail else None) or error.message or error.error_description or "no message"
    label = "/".join(part for part in (error.name or error.error, issue) if part) or f"HTTP {status}"
    debug = f" (debug_id {error.debug_id})" if error.debug_id else ""
    return PayPalRefused(f"{what}: {label}: {text}{debug}", status, error.name or error.error, issue)


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() and 0 < int(value) <= 3600 else 30
