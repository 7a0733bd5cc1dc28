"""The Prometheus adapter: exact values in the exposition, the scrape-time outbox gauge, provider-call timing
through GuardedProvider, and multiprocess mode summing what separate processes wrote."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from application.data.provider_news import CheckoutSession
from application.errors import ProviderError, ProviderUnavailable
from domain.payments.payment import CheckoutDetails, Payment
from domain.shared.money import Money
from infrastructure.metrics import PrometheusMetrics
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import GuardedProvider
from tests.unit.fakes import FakeProvider

ROOT = Path(__file__).resolve().parents[3]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: bytes) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_counters_appear_with_their_labels_and_exact_values() -> None:
    metrics = PrometheusMetrics()
    metrics.webhook_event("stripe", "processed")
    metrics.webhook_event("stripe", "processed")
    metrics.webhook_event("stripe", "duplicate")
    metrics.checkout("simulator", "created")
    metrics.refund("paystack", "unavailable")
    metrics.status_transition("processing", "succeeded")
    metrics.notification("delivered")

    found = samples(metrics.exposition(outbox_pending=7))

    assert value(found, "payments_webhook_events_total", provider="stripe", outcome="processed") == 2
    assert value(found, "payments_webhook_events_total", provider="stripe", outcome="duplicate") == 1
    assert value(found, "payments_checkouts_total", provider="simulator", outcome="created") == 1
    assert value(found, "payments_refunds_total", provider="paystack", outcome="unavailable") == 1
    assert value(found, "payments_status_transitions_total", from_status="processing", to_status="succeeded") == 1
    assert value(found, "payments_notifications_total", outcome="delivered") == 1
    assert value(found, "payments_outbox_pending") == 7


def test_http_requests_are_counted_and_timed_per_route_template() -> None:
    metrics = PrometheusMetrics()
    metrics.http_request("GET", "/api/v1/payments/{payment_id}", 200, 0.004)
    metrics.http_request("GET", "/api/v1/payments/{payment_id}", 200, 0.2)
    metrics.http_request("GET", "/api/v1/payments/{payment_id}", 404, 0.003)

    found = samples(metrics.exposition(outbox_pending=0))

    route = "/api/v1/payments/{payment_id}"
    assert value(found, "payments_http_requests_total", method="GET", route=route, status="200") == 2
    assert value(found, "payments_http_requests_total", method="GET", route=route, status="404") == 1
    assert value(found, "payments_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert value(found, "payments_http_request_duration_seconds_sum", method="GET", route=route) == pytest.approx(0.207)
    assert value(found, "payments_http_request_duration_seconds_bucket", method="GET", route=route, le="0.005") == 2


def test_the_outbox_gauge_is_left_out_when_it_could_not_be_read() -> None:
    found = samples(PrometheusMetrics().exposition(outbox_pending=None))

    assert not any(name == "payments_outbox_pending" for name, _ in found)


@pytest.fixture
def payment() -> Payment:
    return Payment.initiate("pay_1", "order-1", Money.of(1_000, "USD"), "fake", CheckoutDetails(), datetime.now(UTC))


class _Stalling(FakeProvider):
    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        await asyncio.sleep(1)
        raise AssertionError("the deadline should have cut this call")


async def test_every_provider_call_is_timed_with_its_outcome(payment: Payment) -> None:
    metrics = PrometheusMetrics()
    provider = FakeProvider("fake")
    guarded = GuardedProvider(provider, CircuitBreaker(2, 30), 5, metrics)
    await guarded.create_checkout(payment)
    provider.checkout_error = ProviderError("fake", "declined")
    with pytest.raises(ProviderError):
        await guarded.create_checkout(payment)
    provider.checkout_error = ProviderUnavailable("fake", "HTTP 503")
    with pytest.raises(ProviderUnavailable):
        await guarded.create_checkout(payment)
    stalling = GuardedProvider(_Stalling("slow"), CircuitBreaker(1, 30), 0.01, metrics)
    with pytest.raises(ProviderUnavailable):
        await stalling.create_checkout(payment)  # times out, which opens its circuit (threshold 1)
    with pytest.raises(ProviderUnavailable):
        await stalling.create_checkout(payment)  # never sent

    found = samples(metrics.exposition(outbox_pending=0))

    def calls(provider: str, outcome: str) -> float | None:
        name = "payments_provider_request_duration_seconds_count"
        return value(found, name, provider=provider, operation="checkout", outcome=outcome)

    assert [calls("fake", "ok"), calls("fake", "refused"), calls("fake", "unavailable")] == [1, 1, 1]
    assert [calls("slow", "timeout"), calls("slow", "circuit_open")] == [1, 1]


_CHILD = textwrap.dedent(
    """
    from infrastructure.metrics import build_metrics
    metrics = build_metrics()  # PROMETHEUS_MULTIPROC_DIR is set: values go to this process's files
    for _ in range({count}):
        metrics.webhook_event("simulator", "processed")
    metrics.http_request("GET", "/health", 200, 0.001)
    """
)


def test_multiprocess_mode_sums_what_every_process_wrote(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    env: Mapping[str, str] = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    for count in (3, 4):  # two processes, one after the other: each leaves its own files
        subprocess.run([sys.executable, "-c", _CHILD.format(count=count)], env=env, check=True, cwd=ROOT)

    found = samples(PrometheusMetrics(str(directory)).exposition(outbox_pending=2))

    assert len(list(directory.glob("counter_*.db"))) == 2
    assert value(found, "payments_webhook_events_total", provider="simulator", outcome="processed") == 7
    assert value(found, "payments_http_requests_total", method="GET", route="/health", status="200") == 2
    assert value(found, "payments_http_request_duration_seconds_count", method="GET", route="/health") == 2
    assert value(found, "payments_outbox_pending") == 2
