"""Helpers for the PayPal adapter tests: the adapter's configuration and construction, payments and refunds of
our own, and what the webhook handler does with a delivery (parse, then confirm when asked to)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from application.data.provider_news import EventAction, ProviderEvent
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.payments.refund import Refund, RefundReason
from domain.shared.money import Money
from infrastructure.providers.paypal import wiring
from infrastructure.providers.paypal.adapter import PayPalPaymentProvider
from infrastructure.providers.paypal.certificates import PayPalCertificates
from infrastructure.providers.paypal.config import PayPalConfig
from tests.provider_fakes.paypal import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID, FakePayPal
from tests.provider_settings import provider_context
from tests.unit.fakes import FakeClock

A = EventAction


def paypal_config(api_base: str, verification: str = "offline") -> PayPalConfig:
    return PayPalConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_id=WEBHOOK_ID,
        api_base=api_base,
        webhook_verification=verification,
    )


def build(
    config: PayPalConfig,
    http: httpx.AsyncClient,
    clock: FakeClock,
    *,
    timeout: float = 3.0,
    certificates: PayPalCertificates | None = None,
) -> PayPalPaymentProvider:
    return wiring.build(config, provider_context(http, clock, timeout_seconds=timeout), certificates=certificates)


def new_payment(amount: int = 1000, currency: str = "USD", capture: CaptureMode = CaptureMode.AUTOMATIC) -> Payment:
    details = CheckoutDetails(
        return_url="https://shop.example/paid", cancel_url="https://shop.example/cart", description="Order 1"
    )
    payment_id = f"pay_{uuid.uuid4().hex[:26].upper()}"
    return Payment.initiate(
        payment_id, "order-1", Money.of(amount, currency), "paypal", details, datetime.now(UTC), capture
    )


def new_refund(payment: Payment, amount: int, note: str | None = "sorry") -> Refund:
    refund_id = f"re_{uuid.uuid4().hex[:26].upper()}"
    return payment.request_refund(refund_id, amount, RefundReason.REQUESTED_BY_CUSTOMER, note, datetime.now(UTC))


async def deliver(paypal: PayPalPaymentProvider, headers: dict[str, str], body: bytes) -> ProviderEvent:
    """What the webhook handler does with the adapter: parse, then confirm when asked to."""
    event = paypal.parse_webhook(headers, body)
    return await paypal.confirm(event) if event.needs_confirmation else event


async def send(
    paypal: PayPalPaymentProvider, fake: FakePayPal, event_type: str, resource: dict[str, Any]
) -> ProviderEvent:
    body, headers = fake.webhook(event_type, resource)
    return await deliver(paypal, headers, body)


async def checked_out(paypal: PayPalPaymentProvider, payment: Payment) -> Payment:
    session = await paypal.create_checkout(payment)
    payment.attach_checkout_session(session.provider_reference, session.checkout_url, None, datetime.now(UTC))
    return payment


async def paid(paypal: PayPalPaymentProvider, fake: FakePayPal, amount: int = 1000) -> Payment:
    payment = await checked_out(paypal, new_payment(amount))
    assert payment.provider_reference is not None
    event = await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))
    assert event.action is A.PAYMENT_SUCCEEDED
    payment.succeed(datetime.now(UTC))
    return payment


async def authorized(paypal: PayPalPaymentProvider, fake: FakePayPal, amount: int = 1000) -> Payment:
    """A manual-capture payment the buyer approved and we authorized: `authorized` in our books too."""
    payment = await checked_out(paypal, new_payment(amount, capture=CaptureMode.MANUAL))
    assert payment.provider_reference is not None
    event = await send(paypal, fake, "CHECKOUT.ORDER.APPROVED", fake.approve(payment.provider_reference))
    assert event.action is A.PAYMENT_AUTHORIZED
    payment.authorize(datetime.now(UTC), event.hold_until)
    return payment
