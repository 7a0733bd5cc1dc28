"""Reads the tracing endpoint: ours (`PAYMENTS_OTEL_ENDPOINT`) first, else OpenTelemetry's standard variable."""

from __future__ import annotations

from collections.abc import Mapping

from infrastructure.config_reader import EnvReader

_SCHEMES = ("http", "https")


def otel_endpoint(source: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The OTLP/HTTP base URL (traces go to `<it>/v1/traces`) or None (tracing off), and any problems found."""
    ours = EnvReader(source)
    endpoint = ours.url("OTEL_ENDPOINT", _SCHEMES)
    if endpoint is not None or ours.problems:
        return endpoint, ours.problems
    standard = EnvReader(source, "OTEL_EXPORTER_")
    return standard.url("OTLP_ENDPOINT", _SCHEMES), standard.problems
