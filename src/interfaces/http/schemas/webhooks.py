"""POST /api/v1/webhooks/{provider}: what the provider gets back."""

from __future__ import annotations

from msgspec import Struct

from application.views import WebhookReceipt


class WebhookReceiptResponse(Struct, kw_only=True):
    received: bool
    id: str | None  # null only for a notice about no payment of ours (nothing was stored)
    duplicate: bool

    @classmethod
    def from_receipt(cls, receipt: WebhookReceipt) -> WebhookReceiptResponse:
        return cls(received=True, id=receipt.id, duplicate=receipt.duplicate)
