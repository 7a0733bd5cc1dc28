"""The metric set (DESIGN.md, Observability): names, help, labels and buckets, defined on a given registry.

The Grafana dashboard in `deploy/` queries these exact names: renaming one is a breaking change.
`payments_outbox_pending` is not here: it is read from the database at scrape time (see exposition.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

# Seconds. API answers are mostly milliseconds; the top buckets catch a provider call inside a request.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Provider calls cross the internet and are cut at PAYMENTS_PROVIDER_TIMEOUT_SECONDS (10 s by default).
PROVIDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
# A delivery is one transaction (milliseconds), or a confirmation call to the provider first (seconds); providers
# give up on a webhook after 10-30 s and send it again.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class MetricSet:
    http_requests: Counter
    http_request_duration: Histogram
    webhook_events: Counter
    checkouts: Counter
    refunds: Counter
    captures: Counter
    cancels: Counter
    provider_request_duration: Histogram
    status_transitions: Counter
    notifications: Counter
    webhook_processing_duration: Histogram
    risk_decisions: Counter


def define_metrics(registry: CollectorRegistry) -> MetricSet:
    return MetricSet(
        http_requests=Counter(
            "payments_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ("method", "route", "status"),
            registry=registry,
        ),
        http_request_duration=Histogram(
            "payments_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response",
            ("method", "route"),
            registry=registry,
            buckets=HTTP_BUCKETS,
        ),
        webhook_events=Counter(
            "payments_webhook_events",
            "Provider webhook deliveries, by what became of them",
            ("provider", "outcome"),
            registry=registry,
        ),
        checkouts=Counter(
            "payments_checkouts",
            "Checkout requests, by provider and outcome",
            ("provider", "outcome"),
            registry=registry,
        ),
        refunds=Counter(
            "payments_refunds", "Refund requests, by provider and outcome", ("provider", "outcome"), registry=registry
        ),
        captures=Counter(
            "payments_captures", "Capture requests, by provider and outcome", ("provider", "outcome"), registry=registry
        ),
        cancels=Counter(
            "payments_cancels", "Cancel requests, by provider and outcome", ("provider", "outcome"), registry=registry
        ),
        provider_request_duration=Histogram(
            "payments_provider_request_duration_seconds",
            "Calls to payment providers, by operation and outcome",
            ("provider", "operation", "outcome"),
            registry=registry,
            buckets=PROVIDER_BUCKETS,
        ),
        status_transitions=Counter(
            "payments_status_transitions",
            "Committed payment status changes",
            ("from_status", "to_status"),
            registry=registry,
        ),
        notifications=Counter(
            "payments_notifications",
            "Order callback delivery attempts, by what became of the notification",
            ("outcome",),
            registry=registry,
        ),
        webhook_processing_duration=Histogram(
            "payments_webhook_processing_duration_seconds",
            "Time to verify, store and apply a delivered provider webhook, by provider and what became of it",
            ("provider", "outcome"),
            registry=registry,
            buckets=WEBHOOK_BUCKETS,
        ),
        risk_decisions=Counter(
            "payments_risk_decisions",
            "Checkout risk assessments, by decision (allow, review, block)",
            ("decision",),
            registry=registry,
        ),
    )
