"""The Stripe adapter's webhook check: `Stripe-Signature` over the raw body, any configured secret, ±300 s.

Signatures are computed here with hmac, independently of the code under test; one test also asks Stripe's own
SDK (`stripe.Webhook.construct_event`) to agree with us on a header we accept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
import stripe

from application.data.provider_news import EventAction
from application.errors import InvalidSignature, MalformedWebhook
from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.stripe.config import StripeConfig
from infrastructure.providers.stripe.wiring import build
from tests.provider_settings import provider_context
from tests.unit.fakes import FakeClock

SECRET = "whsec_current_" + "a" * 24
OLD_SECRET = "whsec_previous_" + "b" * 24
NOW = 1_760_000_000
CONFIG = StripeConfig(secret_key="sk_test_x", webhook_secrets=(SECRET,))
BODY = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "type": "checkout.session.completed",
        "created": NOW,
        "data": {"object": {"id": "cs_test_1", "client_reference_id": "pay_1", "payment_status": "paid"}},
    }
).encode()


def v1(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(body: bytes = BODY, timestamp: int = NOW, secret: str = SECRET) -> str:
    return f"t={timestamp},v1={v1(body, timestamp, secret)}"


def adapter(*secrets: str, now: int = NOW) -> PaymentProvider:
    config = replace(CONFIG, webhook_secrets=secrets or (SECRET,))
    return build(config, provider_context(httpx.AsyncClient(), FakeClock(datetime.fromtimestamp(now, tz=UTC))))


def rejected(headers: dict[str, str], body: bytes = BODY, provider: PaymentProvider | None = None) -> str:
    with pytest.raises(InvalidSignature) as caught:
        (provider or adapter()).parse_webhook(headers, body)
    assert caught.value.provider == "stripe"
    return caught.value.reason


def test_a_valid_signature_is_accepted_and_the_event_translated() -> None:
    event = adapter().parse_webhook({"Stripe-Signature": header()}, BODY)
    assert (event.event_id, event.action, event.payment_id) == ("evt_1", EventAction.PAYMENT_SUCCEEDED, "pay_1")


def test_header_names_are_case_insensitive() -> None:
    assert adapter().parse_webhook({"stripe-signature": header()}, BODY).event_id == "evt_1"


def test_stripes_own_sdk_agrees_with_a_header_we_accept() -> None:
    now = int(time.time())
    signed = header(timestamp=now)
    adapter(now=now).parse_webhook({"Stripe-Signature": signed}, BODY)
    assert stripe.Webhook.construct_event(BODY, signed, SECRET).id == "evt_1"


def test_a_tampered_byte_is_refused() -> None:
    tampered = BODY.replace(b"paid", b"pais")
    assert "no v1 signature matches" in rejected({"Stripe-Signature": header()}, tampered)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    rejected({"Stripe-Signature": header(secret="whsec_attacker")})


def test_the_second_of_two_configured_secrets_is_accepted_during_rotation() -> None:
    provider = adapter(SECRET, OLD_SECRET)
    assert provider.parse_webhook({"Stripe-Signature": header(secret=OLD_SECRET)}, BODY).event_id == "evt_1"


def test_a_header_with_two_v1_values_is_accepted_when_either_matches() -> None:
    # While Stripe rolls an endpoint secret it signs with both, old and new: one v1 each.
    both = f"t={NOW},v1={v1(BODY, NOW, 'whsec_unknown')},v1={v1(BODY, NOW)}"
    assert adapter().parse_webhook({"Stripe-Signature": both}, BODY).event_id == "evt_1"


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_timestamps_beyond_300_seconds_either_way_are_refused(offset: int) -> None:
    reason = rejected({"Stripe-Signature": header(timestamp=NOW + offset)})
    assert "tolerance" in reason


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_within_300_seconds_are_accepted(offset: int) -> None:
    adapter().parse_webhook({"Stripe-Signature": header(timestamp=NOW + offset)}, BODY)


def test_a_missing_header_is_refused() -> None:
    assert "missing" in rejected({"Content-Type": "application/json"})
    assert "missing" in rejected({"Stripe-Signature": "  "})


def test_a_v0_only_header_is_refused_even_when_it_is_a_valid_hmac() -> None:
    assert "no v1" in rejected({"Stripe-Signature": f"t={NOW},v0={v1(BODY, NOW)}"})


def test_a_header_without_a_timestamp_is_refused() -> None:
    rejected({"Stripe-Signature": f"v1={v1(BODY, NOW)}"})


def test_a_correctly_signed_unreadable_body_is_malformed() -> None:
    body = b'{"id": "evt_1", "type": "checkout.session.completed"'
    with pytest.raises(MalformedWebhook):
        adapter().parse_webhook({"Stripe-Signature": header(body)}, body)


def test_a_bad_signature_is_refused_before_the_body_is_read() -> None:
    # an unreadable body with a wrong signature says "signature", never "malformed"
    reason = rejected({"Stripe-Signature": header(b"other")}, b"not json")
    assert "signature" in reason
