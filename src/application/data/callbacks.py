"""The outcome of one order-callback delivery attempt."""

from __future__ import annotations

from dataclasses import dataclass

GONE = 410


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status_code: int | None  # None when no answer came (timeout, refused connection, DNS, TLS)
    latency_ms: int
    error: str | None  # why it failed, without secrets; None when delivered
    # the receiver's address is one callbacks may not go to (application/callback_addresses.py): nothing was
    # sent, and retrying cannot help, so the notification is dead at once
    refused: bool = False

    @property
    def delivered(self) -> bool:
        """Only a 2xx ends delivery (API.md). Redirects are not followed: a receiver that moved must be
        reconfigured, and following could leak signed payloads to wherever the redirect points."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone is the receiver saying "stop": the notification goes dead at once instead of being retried
        for days. Every other 4xx is retried, because a receiver's 400/401/404 is usually a deployment or
        configuration mistake that gets fixed, and losing the callback would be worse than retrying it."""
        return self.status_code == GONE
