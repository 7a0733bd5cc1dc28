"""A Stripe event the janitor pulled back (`GET /v1/events?delivery_success=false`) whose application failed is
stored `failed` and applied when it is run again, on SQLite and on Postgres: vouched for again by Stripe
(`GET /v1/events/{id}`, a pulled event has no signature), never refused for its missing signature.

It is run again here through the admin's replay, the same `WebhookProcessor.reprocess` as the worker's retries
(whose first try comes 30 s after the failure; the backoff itself is tested in
tests/unit/application/test_pulled_event_retries.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.providers.stripe.config import StripeConfig
from tests.e2e.conftest import LiveServer, serve
from tests.provider_fakes.server import running
from tests.provider_fakes.stripe import FakeStripe


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with running(fake) as url:
        fake.api_base = url
        yield fake


@pytest.fixture
def server(database_url: str, api_keys: dict[str, str], fake: FakeStripe) -> Iterator[LiveServer]:
    config = StripeConfig(secret_key=fake.secret_key, webhook_secrets=(fake.webhook_secret,), api_base=fake.api_base)
    for live in serve(
        database_url,
        api_keys,
        providers=("stripe",),
        stripe=config,
        provider_timeout_seconds=2,
    ):
        fake.webhook_url = f"{live.base_url}/api/v1/webhooks/stripe"
        yield live


def status_of(s: LiveServer, payment_id: str) -> str:
    status: str = s.get(f"/api/v1/payments/{payment_id}", key="admin").json()["status"]
    return status


def test_a_pulled_event_that_could_not_be_confirmed_is_retried_and_applied(
    server: LiveServer, fake: FakeStripe
) -> None:
    s = server
    created = s.checkout("order-pulled-dispute", 10_000, "USD", provider="stripe")
    assert created.status_code == 201, created.text
    pid, session = created.json()["id"], created.json()["provider_reference"]
    completed, _ = fake.pay(session)
    assert fake.deliver(completed).status_code == 200
    assert status_of(s, pid) == "succeeded"

    [dispute] = fake.undelivered(fake.dispute(session))  # its webhook never got through
    # a dispute is confirmed with Stripe before it counts: Stripe cannot answer when the janitor pulls it
    fake.fail_next(500, path="/v1/payment_intents/", method="GET")
    run = s.post("/api/v1/reconciliation/runs", key="admin")
    assert run.status_code == 200, run.text
    assert s.inbox_by_event("stripe", dispute.id)[0] == "failed"
    assert status_of(s, pid) == "succeeded"
    [row] = s.get("/api/v1/webhook-events", key="admin", params={"status": "failed"}).json()["data"]

    replayed = s.post(f"/api/v1/webhook-events/{row['id']}/replay", key="admin")

    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "processed"
    assert status_of(s, pid) == "disputed"
    assert s.inbox_by_event("stripe", dispute.id) == ("processed", None)
    assert fake.received("GET", f"/v1/events/{dispute.id}")  # vouched for by Stripe again, not a signature
    trail = s.get(f"/api/v1/payments/{pid}/events", key="reader").json()["data"]
    [disputed] = [e for e in trail if e["type"] == "payment.disputed"]
    assert (disputed["source"], disputed["provider_event_id"]) == ("admin", dispute.id)  # the replay's cause
