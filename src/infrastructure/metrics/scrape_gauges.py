"""Gauges computed when /metrics is scraped, not counted as things happen: the build, and the state of the
service that the alert rules in `deploy/prometheus/alerts.yml` watch (read from the database, the circuit
breakers and the readiness checks by `interfaces/http/scrape_readings.py`).

They describe shared state (the database) or this process (its circuits), so they are never written to the
multiprocess files: each scrape reads them afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from infrastructure.build_info import service_version

BUILD_INFO = "payments_build_info"
STUCK_PAYMENTS = "payments_stuck_payments"
STUCK_REFUNDS = "payments_stuck_refunds"
NOTIFICATIONS_WAITING = "payments_notifications_waiting"
OLDEST_NOTIFICATION_WAITING = "payments_notifications_oldest_waiting_seconds"
WEBHOOK_EVENTS_DEAD = "payments_webhook_events_dead"
CIRCUIT_OPEN = "payments_provider_circuit_open"
READY = "payments_ready"
READINESS_CHECK = "payments_readiness_check"


@dataclass(frozen=True, slots=True)
class OperationsReading:
    """What the database says at scrape time (infrastructure/db/read/operations_readings.py)."""

    stuck_payments: int  # `processing` for longer than STUCK_AFTER: the provider never told us
    stuck_refunds: int  # `pending` for longer than STUCK_AFTER
    notifications_waiting: int  # order callbacks pending or failed (to be retried): the callback backlog
    oldest_notification_waiting_seconds: float  # 0 when none waits
    webhook_events_dead: int  # inbox rows given up on (retried until PAYMENTS_RETRY_MAX_AGE_SECONDS)


def build_info() -> Metric:
    info = GaugeMetricFamily(BUILD_INFO, "The running build: always 1, its version as a label", labels=("version",))
    info.add_metric((service_version(),), 1)
    return info


def operations_gauges(reading: OperationsReading) -> list[Metric]:
    return [
        GaugeMetricFamily(
            STUCK_PAYMENTS, "Payments processing for over an hour (read at scrape time)", reading.stuck_payments
        ),
        GaugeMetricFamily(
            STUCK_REFUNDS, "Refunds pending for over an hour (read at scrape time)", reading.stuck_refunds
        ),
        GaugeMetricFamily(
            NOTIFICATIONS_WAITING,
            "Order callbacks not yet delivered: pending, or failed and waiting for a retry (read at scrape time)",
            reading.notifications_waiting,
        ),
        GaugeMetricFamily(
            OLDEST_NOTIFICATION_WAITING,
            "Age of the oldest order callback not yet delivered, 0 when none waits (read at scrape time)",
            reading.oldest_notification_waiting_seconds,
        ),
        GaugeMetricFamily(
            WEBHOOK_EVENTS_DEAD, "Stored webhook events given up on (read at scrape time)", reading.webhook_events_dead
        ),
    ]


def circuit_gauges(open_circuits: Mapping[str, bool]) -> Metric:
    """Per enabled provider, 1 while this process's circuit breaker skips it (each process has its own)."""
    gauge = GaugeMetricFamily(
        CIRCUIT_OPEN, "1 while the provider's circuit is open in the scraped process", labels=("provider",)
    )
    for provider, is_open in sorted(open_circuits.items()):
        gauge.add_metric((provider,), 1 if is_open else 0)
    return gauge


def readiness_gauges(checks: Mapping[str, bool]) -> list[Metric]:
    """`payments_ready` is what /ready would answer (1: 200, 0: 503); one series per check that can fail it."""
    ready = GaugeMetricFamily(
        READY, "1 when /ready would answer 200 (checked at scrape time)", int(all(checks.values()))
    )
    check = GaugeMetricFamily(READINESS_CHECK, "1 when the readiness check passes", labels=("check",))
    for name, passed in sorted(checks.items()):
        check.add_metric((name,), 1 if passed else 0)
    return [ready, check]
