"""Webhook events as PayPal sends them: the event body (compact JSON, as it comes off the wire) and the signature
headers (SHA256withRSA over `transmission id|time|webhook id|crc32(body)`), plus the raw-text reading PayPal's
`verify-webhook-signature` does (https://developer.paypal.com/api/rest/webhooks/rest/).
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

WEBHOOK_ID = "8PT597110X687430LKGECATA"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-fake0001"

Json = dict[str, Any]


def paypal_time(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_event(
    event_type: str, resource: Json, *, event_id: str | None = None, resource_type: str | None = None
) -> bytes:
    """The body PayPal POSTs: compact JSON, as it comes off the wire."""
    event = {
        "id": event_id or f"WH-{uuid.uuid4().hex[:17].upper()}-{uuid.uuid4().hex[:17].upper()}",
        "event_version": "1.0",
        "create_time": paypal_time(),
        "resource_type": resource_type or _RESOURCE_TYPES.get(event_type, "unknown"),
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": f"{event_type} (fake)",
        "resource": resource,
        "links": [],
    }
    return json.dumps(event, separators=(",", ":")).encode()


_RESOURCE_TYPES = {
    "CHECKOUT.ORDER.APPROVED": "checkout-order",
    "PAYMENT.AUTHORIZATION.CREATED": "authorization",
    "PAYMENT.AUTHORIZATION.VOIDED": "authorization",
    "PAYMENT.CAPTURE.COMPLETED": "capture",
    "PAYMENT.CAPTURE.DENIED": "capture",
    "PAYMENT.CAPTURE.REFUNDED": "refund",
    "CUSTOMER.DISPUTE.CREATED": "dispute",
}


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def sign_webhook(
    body: bytes,
    key: rsa.RSAPrivateKey,
    *,
    webhook_id: str = WEBHOOK_ID,
    cert_url: str = CERT_URL,
    transmission_id: str | None = None,
    sent_at: datetime | None = None,
) -> dict[str, str]:
    """The headers PayPal sends with `body`: SHA256withRSA over `id|time|webhook id|crc32(body)`."""
    transmission_id = transmission_id or str(uuid.uuid4())
    transmission_time = paypal_time(sent_at)
    message = signed_message(transmission_id, transmission_time, webhook_id, body)
    signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-TRANSMISSION-SIG": signature,
        "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-AUTH-VERSION": "v2",
    }


def raw_member(text: str, name: str) -> str:
    """The raw JSON text of a top-level member, as it appears in `text` (not re-serialised)."""
    decoder, index = json.JSONDecoder(), text.index("{") + 1
    while True:
        key, index = decoder.raw_decode(text, _skip(text, index))
        index = _skip(text, index) + 1  # the colon
        start = _skip(text, index)
        _, end = decoder.raw_decode(text, start)
        if key == name:
            return text[start:end]
        index = _skip(text, end) + 1  # the comma


def _skip(text: str, index: int) -> int:
    while text[index] in " \t\r\n":
        index += 1
    return index
