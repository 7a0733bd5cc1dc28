"""What the Stripe adapter's tests share: the adapter built against a running fake, and payments to use it on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from application.data.provider_news import CheckoutSession
from application.ports.payment_provider import PaymentProvider
from domain.payments.payment import CaptureMode, CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.providers.stripe.config import StripeConfig
from infrastructure.providers.stripe.wiring import build
from tests.provider_fakes.stripe import FakeStripe
from tests.provider_settings import provider_context

PUBLIC_URL = "https://payments.example"
DETAILS = CheckoutDetails(
    return_url="https://shop.example/paid",
    cancel_url="https://shop.example/cart",
    customer_email="ada@example.com",
    description="Two books",
)


def make_provider(fake: FakeStripe, url: str, http: httpx.AsyncClient, **overrides: Any) -> PaymentProvider:
    config = StripeConfig(secret_key=fake.secret_key, webhook_secrets=(fake.webhook_secret,), api_base=url)
    context = provider_context(http, public_url=PUBLIC_URL, timeout_seconds=0.5)
    return build(replace(config, **overrides), context)


def new_payment(
    amount: int = 5000,
    currency: str = "USD",
    details: CheckoutDetails = DETAILS,
    capture: CaptureMode = CaptureMode.AUTOMATIC,
) -> Payment:
    now = datetime.now(UTC)
    return Payment.initiate(
        f"pay_{now.timestamp():.6f}", "order-1", Money.of(amount, currency), "stripe", details, now, capture
    )


async def checked_out(provider: PaymentProvider, payment: Payment) -> CheckoutSession:
    session = await provider.create_checkout(payment)
    payment.attach_checkout_session(
        session.provider_reference, session.checkout_url, session.expires_at, payment.created_at
    )
    return session
