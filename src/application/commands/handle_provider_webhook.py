"""Apply one provider webhook exactly once (the processor does the work; see application/webhooks/processor.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.messages import Command
from application.views import WebhookReceipt
from application.webhooks.processor import WebhookProcessor


@dataclass(frozen=True, slots=True)
class HandleProviderWebhook(Command[WebhookReceipt]):
    provider: str
    headers: Mapping[str, str]
    body: bytes


class HandleProviderWebhookHandler:
    def __init__(self, webhooks: WebhookProcessor) -> None:
        self._webhooks = webhooks

    async def __call__(self, cmd: HandleProviderWebhook) -> WebhookReceipt:
        return await self._webhooks.receive(cmd.provider, cmd.headers, cmd.body)
