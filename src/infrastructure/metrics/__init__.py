"""Prometheus metrics: definitions, the adapter behind the application's Metrics port, multiprocess mode."""

from infrastructure.metrics.prometheus_metrics import CONTENT_TYPE, PrometheusMetrics, build_metrics

__all__ = ["CONTENT_TYPE", "PrometheusMetrics", "build_metrics"]
