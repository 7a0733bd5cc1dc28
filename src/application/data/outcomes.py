"""Metric outcomes: every label value a Literal, so the series stay bounded."""

from __future__ import annotations

from typing import Literal

# nothing stored for invalid_signature (a body that does not verify, or cannot be read as the provider's event)
WebhookOutcome = Literal["processed", "duplicate", "invalid_signature", "ignored", "failed"]


# created / reused (the order's live payment handed back); refused: the provider said no (4xx); unavailable:
# timeout, 5xx or open circuit; rejected: our rules said no (e.g. a live payment for other money); error: a bug
CheckoutOutcome = Literal["created", "reused", "refused", "unavailable", "rejected", "error"]


# pending / succeeded / failed: the refund as the provider's answer left it; unavailable: the provider could
# not be reached (the refund stays pending); refused, rejected, error: as for checkouts
RefundOutcome = Literal["pending", "succeeded", "failed", "refused", "unavailable", "rejected", "error"]


NotificationOutcome = Literal["delivered", "failed", "dead"]


# succeeded: the provider confirmed in the call; pending: it confirms later (or timed out: capture_pending);
# refused, unavailable, rejected (not capturable, more than held), error: as for checkouts
CaptureOutcome = Literal["succeeded", "pending", "refused", "unavailable", "rejected", "error"]


# cancelled: the checkout closed or the hold voided; refused, unavailable, rejected (not cancellable), error
CancelOutcome = Literal["cancelled", "refused", "unavailable", "rejected", "error"]
