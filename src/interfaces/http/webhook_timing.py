"""Times each delivered webhook from its verification to its answer, by provider and what became of it
(`payments_webhook_processing_duration_seconds`). Providers give up on a slow answer and deliver again, so this
is the latency that matters to them; the inbox's outcomes are counted, untimed, by the application.

Outcomes are a closed set: `processed`, `ignored`, `failed` (stored for the worker), `duplicate`, `refused`
(bad signature or unreadable: nothing stored) and `error` (not answered 200). A name that is not an enabled
provider is never a label: it is answered 404 before anything is timed.
"""

from __future__ import annotations

import time

from application.bus import MessageBus
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.errors import InvalidSignature, UnknownProvider
from application.views import WebhookReceipt
from infrastructure.metrics import PrometheusMetrics

_STORED_AS = {"processed": "processed", "ignored": "ignored", "failed": "failed"}


async def timed_webhook(bus: MessageBus, metrics: PrometheusMetrics, command: HandleProviderWebhook) -> WebhookReceipt:
    started = time.perf_counter()
    try:
        receipt = await bus.send(command)
    except UnknownProvider:
        raise
    except InvalidSignature:  # MalformedWebhook too
        metrics.webhook_processing(command.provider, "refused", time.perf_counter() - started)
        raise
    except Exception:
        metrics.webhook_processing(command.provider, "error", time.perf_counter() - started)
        raise
    outcome = "duplicate" if receipt.duplicate else _STORED_AS.get(receipt.status, "error")
    metrics.webhook_processing(command.provider, outcome, time.perf_counter() - started)
    return receipt
