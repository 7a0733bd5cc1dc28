"""The body of Mollie's payment webhook: `id=tr_…`, form-encoded, unsigned, and nothing else
(https://docs.mollie.com/reference/webhooks: a POST with a single parameter `id`, the updated payment's id).

Nothing in it is believed: it only names which of our payments to ask Mollie about, and the caller looks the id
up among its own payments before fetching anything. So the reading is strict: exactly one field `id`, holding
`tr_` and letters or digits, at most 64 characters (Mollie's ids are ~14-25; our column holds 64). Anything else
— a missing id, another kind of id, extra fields or bytes, a body too long to be one — is MalformedWebhook, so
it is refused before any lookup.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from application.errors import MalformedWebhook
from infrastructure.providers.mollie.wire import PROVIDER

MAX_ID_LENGTH = 64

_PAYMENT_ID = re.compile(r"tr_[0-9A-Za-z]+")
_MAX_BODY = len("id=") + MAX_ID_LENGTH


def notification_id(body: bytes) -> str:
    """`b"id=tr_WDqYK6vllg"` → `"tr_WDqYK6vllg"`; MalformedWebhook for anything else."""
    if len(body) > _MAX_BODY:
        raise MalformedWebhook(PROVIDER, f"body of {len(body)} bytes is too long to be `id=tr_…`")
    try:
        text = body.decode("ascii")
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise MalformedWebhook(PROVIDER, "body is not a form with one field `id`") from None
    if len(fields) != 1 or fields[0][0] != "id":
        raise MalformedWebhook(PROVIDER, "body must hold exactly one field, `id`")
    value = fields[0][1]
    if len(value) > MAX_ID_LENGTH or not _PAYMENT_ID.fullmatch(value):
        raise MalformedWebhook(PROVIDER, "`id` is not a Mollie payment id (tr_ and letters or digits)")
    return value
