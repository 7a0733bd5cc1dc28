"""Provider webhooks: no API key; the provider adapter verifies the signature over the raw body."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.bus import MessageBus
from application.commands.handle_provider_webhook import HandleProviderWebhook
from application.errors import InvalidSignature, MalformedWebhook
from infrastructure.providers import catalogue
from interfaces.http.errors import UnsupportedMediaType
from interfaces.http.failure_limits import count_failure
from interfaces.http.json_body import is_json
from interfaces.http.openapi import RawWebhookBodyOperation, problem_responses
from interfaces.http.rate_limiting import limit_webhooks
from interfaces.http.root import root_of
from interfaces.http.route_handlers import post
from interfaces.http.schemas.webhooks import WebhookReceiptResponse
from interfaces.http.webhook_timing import timed_webhook

WEBHOOK_MIN_BODY_LIMIT = 1024 * 1024  # providers send larger documents than API clients (PayPal, disputes)
REFUSED = (
    "Nothing stored. `invalid-signature`: the signature is missing, wrong or outside its tolerance window. "
    "`malformed-webhook`: correctly signed, but the body is not an event of that provider we can read "
    "(or its id is over 255 characters)."
)

NOT_ITS_MEDIA_TYPE = "`unsupported-media-type`: not the media type this provider sends (each sends one of those listed)"


class WebhooksController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @post(
        "/{provider:str}",
        guards=[limit_webhooks],  # per provider, before the body is read; over the limit: 429, the provider retries
        status_code=200,
        summary="Receive a provider's signed event",
        description="Verified over the raw body, stored once per (provider, event id), applied exactly once. "
        "A duplicate delivery answers `duplicate: true` and changes nothing.",
        responses=problem_responses(400, 404, 413, 415, 429, 503, described={400: REFUSED, 415: NOT_ITS_MEDIA_TYPE}),
        operation_class=RawWebhookBodyOperation,
    )
    async def receive(
        self, request: Request[Any, Any, Any], provider: FromPath[str], bus: NamedDependency[MessageBus]
    ) -> WebhookReceiptResponse:
        content_type, media_types = request.headers.get("content-type", ""), catalogue.webhook_media_types(provider)
        if not accepts(content_type, media_types):  # not what this provider sends: not its event
            raise UnsupportedMediaType(content_type.split(";", 1)[0].strip(), " or ".join(media_types))
        body = await request.body()
        command = HandleProviderWebhook(provider, request.headers, body)
        try:
            receipt = await timed_webhook(bus, root_of(request).metrics(), command)
        except InvalidSignature as refused:
            if not isinstance(refused, MalformedWebhook):  # correctly signed: no forgery to count
                await count_failure(request, "webhooks with bad signatures")  # 429 once over the budget
            raise
        return WebhookReceiptResponse.from_receipt(receipt)


def accepts(content_type: str, media_types: tuple[str, ...]) -> bool:
    """Whether a `Content-Type` is one of a provider's webhook media types, parameters aside; a provider that
    sends JSON is also allowed a `+json` suffix, as every JSON endpoint is."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in media_types or ("application/json" in media_types and is_json(content_type))


def webhooks_controller(max_body_bytes: int) -> type[WebhooksController]:
    """The controller with its body limit: the API's limit, but never below 1 MiB."""
    limit = max(max_body_bytes, WEBHOOK_MIN_BODY_LIMIT)
    return type("WebhooksController", (WebhooksController,), {"request_max_body_size": limit})
