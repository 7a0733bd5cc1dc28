"""Which traces start: every request, provider call, relay and delivery; never a database statement on its own.

A statement outside any traced work (the worker's claim polls twice a second when idle, the status change
feed's pings, the counts a scrape reads) would otherwise start a trace of its own, flooding the backend with
one-span traces that say nothing. Inside a traced request or job, statements follow their parent (ParentBased),
as does everything else: a caller that sent `traceparent` unsampled is respected.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

# what the HTTPX instrumentation sets when it starts a client span (old and new semantic conventions)
_HTTP_METHOD = ("http.request.method", "http.method")


class NoLoneStatements(Sampler):
    """For root spans: samples all but a client span that is not an HTTP call (a database statement)."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT and not any(key in (attributes or {}) for key in _HTTP_METHOD):
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "NoLoneStatements"


def sampler() -> Sampler:
    return ParentBased(root=NoLoneStatements())
