"""Verification by asking PayPal: `POST /v1/notifications/verify-webhook-signature`
(https://developer.paypal.com/docs/api/webhooks/v1/#verify-webhook-signature_post).

PayPal checks the signature over the event exactly as it sent it, so `webhook_event` must be the raw body
bytes: parsing and re-serialising changes whitespace, key order or number spelling, and the answer becomes
FAILURE for a genuine event. The request's JSON text is therefore built around the raw bytes (which parsed as
a JSON object before we got here), never from a decoded copy.
"""

from __future__ import annotations

import msgspec

from application.errors import ProviderError
from infrastructure.providers.paypal.api import PayPalApi
from infrastructure.providers.paypal.errors import NAME
from infrastructure.providers.paypal.signature import Transmission
from infrastructure.providers.paypal.wire import VerificationAnswer

VERIFY_PATH = "/v1/notifications/verify-webhook-signature"


def verification_request(transmission: Transmission, webhook_id: str, body: bytes) -> bytes:
    head = msgspec.json.encode(
        {
            "auth_algo": transmission.auth_algo,
            "cert_url": transmission.cert_url,
            "transmission_id": transmission.id,
            "transmission_sig": transmission.signature,
            "transmission_time": transmission.time,
            "webhook_id": webhook_id,
        }
    )
    return head[:-1] + b',"webhook_event":' + body + b"}"


class PostbackVerifier:
    def __init__(self, api: PayPalApi, webhook_id: str) -> None:
        self._api, self._webhook_id = api, webhook_id

    def verify_now(self, transmission: Transmission, body: bytes) -> bool:
        return False  # always a call to PayPal: the event is stored first, then verified in `confirm`

    async def verify_later(self, transmission: Transmission, body: bytes) -> None:
        content = verification_request(transmission, self._webhook_id, body)
        answer = await self._api.post(VERIFY_PATH, VerificationAnswer, content=content)
        if answer.verification_status != "SUCCESS":
            raise ProviderError(NAME, f"PayPal did not verify the webhook ({answer.verification_status})")
