"""The Prometheus adapter: the application's Metrics port, plus what only infrastructure and the HTTP layer
record (request and provider-call latency), plus the text exposition for `GET /metrics`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from application.data.outcomes import (
    CancelOutcome,
    CaptureOutcome,
    CheckoutOutcome,
    NotificationOutcome,
    RefundOutcome,
    WebhookOutcome,
)
from domain.payments.risk import RiskDecision
from infrastructure.metrics.definitions import define_metrics
from infrastructure.metrics.multiprocess import enable_multiprocess, multiprocess_dir
from infrastructure.metrics.scrape_gauges import build_info

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes


class PrometheusMetrics:
    """One per process (the container's singleton). With `multiprocess_path` the values live in that directory's
    files and a scrape sums every process's; without it they live in this object's own registry."""

    def __init__(self, multiprocess_path: str | None = None) -> None:
        self._multiprocess_path = multiprocess_path
        self.registry = CollectorRegistry()
        self._m = define_metrics(self.registry)
        # labels() takes a lock and builds a key; the request path looks its series up in a plain dict instead
        self._http_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._webhook_series: dict[tuple[str, str], Any] = {}

    # ---- the application port ---------------------------------------------------------------------------
    def webhook_event(self, provider: str, outcome: WebhookOutcome) -> None:
        self._m.webhook_events.labels(provider, outcome).inc()

    def checkout(self, provider: str, outcome: CheckoutOutcome) -> None:
        self._m.checkouts.labels(provider, outcome).inc()

    def refund(self, provider: str, outcome: RefundOutcome) -> None:
        self._m.refunds.labels(provider, outcome).inc()

    def capture(self, provider: str, outcome: CaptureOutcome) -> None:
        self._m.captures.labels(provider, outcome).inc()

    def cancel(self, provider: str, outcome: CancelOutcome) -> None:
        self._m.cancels.labels(provider, outcome).inc()

    def status_transition(self, from_status: str, to_status: str) -> None:
        self._m.status_transitions.labels(from_status, to_status).inc()

    def notification(self, outcome: NotificationOutcome) -> None:
        self._m.notifications.labels(outcome).inc()

    def risk_decision(self, decision: RiskDecision) -> None:
        self._m.risk_decisions.labels(decision.value).inc()

    # ---- infrastructure and HTTP ------------------------------------------------------------------------
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """`method` and `route` must already be bounded (see interfaces/http/request_observation.py)."""
        series = self._http_series.get((method, route, status))
        if series is None:
            series = (
                self._m.http_requests.labels(method, route, str(status)),
                self._m.http_request_duration.labels(method, route),
            )
            self._http_series[(method, route, status)] = series
        counter, histogram = series
        counter.inc()
        histogram.observe(seconds)

    def provider_call(self, provider: str, operation: str, outcome: str, seconds: float) -> None:
        self._m.provider_request_duration.labels(provider, operation, outcome).observe(seconds)

    def webhook_processing(self, provider: str, outcome: str, seconds: float) -> None:
        """`provider` an enabled one, `outcome` from a closed set (interfaces/http/webhook_timing.py). On the
        webhook path: the series is looked up in a dict, as the HTTP ones are."""
        series = self._webhook_series.get((provider, outcome))
        if series is None:
            series = self._webhook_series[provider, outcome] = self._m.webhook_processing_duration.labels(
                provider, outcome
            )
        series.observe(seconds)

    # ---- exposition -------------------------------------------------------------------------------------
    def exposition(self, outbox_pending: int | None, gauges: Iterable[Metric] = ()) -> bytes:
        """The text format of every metric; `outbox_pending` is read from the database by the caller (None when
        it could not be read: the gauge is then left out rather than reported wrong), as are the other scrape-time
        `gauges` (scrape_gauges.py); the build info is always there."""
        extra: list[Metric] = [build_info(), *gauges]
        if outbox_pending is not None:
            extra.append(
                GaugeMetricFamily(
                    "payments_outbox_pending", "Outbox events not yet relayed (read at scrape time)", outbox_pending
                )
            )
        return generate_latest(_Scrape(self._source(), extra))

    def start_http_server(self, port: int, host: str) -> Callable[[], None]:
        """Serves this process's metrics on their own port from a daemon thread (`payments worker
        --metrics-port`); the outbox gauge is left to the API. Returns the function that stops it."""
        registry = CollectorRegistry()
        registry.register(_Scrape(self._source(), (build_info(),)))
        server, thread = start_http_server(port, host, registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop

    def _source(self) -> Any:
        if self._multiprocess_path is not None:
            # reads every process's files (untyped upstream)
            return MultiProcessCollector(None, path=self._multiprocess_path)  # type: ignore[no-untyped-call]
        return self.registry


class _Scrape:
    def __init__(self, source: Any, extra: Iterable[Metric]) -> None:
        self._source, self._extra = source, extra

    def collect(self) -> Iterable[Metric]:
        yield from self._source.collect()
        yield from self._extra


def build_metrics() -> PrometheusMetrics:
    """Multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (by the operator or by `payments serve`)."""
    path = multiprocess_dir()
    if path is not None:
        enable_multiprocess(path)
    return PrometheusMetrics(path)
