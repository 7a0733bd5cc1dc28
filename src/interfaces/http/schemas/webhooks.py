"""POST /api/v1/webhooks/{provider}: what the provider gets back."""

from __future__ import annotations

from msgspec import Struct

from application.views import WebhookReceipt


class WebhookReceiptResponse(Struct, kw_only=True):
    received: bool
    id: str
    duplicate: bool

    @classmethod
    def from_receipt(cls, receipt: WebhookReceipt) -> WebhookReceiptResponse:
        return cls(received=True, id=receipt.id, duplicate=receipt.duplicate)
