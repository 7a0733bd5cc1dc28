"""`GET /metrics`: Prometheus text format, no authentication (API.md, Operations; README lists the metrics)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response

from application.ports.outbox import Outbox
from infrastructure.metrics import CONTENT_TYPE, PrometheusMetrics
from interfaces.http.root import root_of
from interfaces.http.route_handlers import get
from interfaces.http.scrape_readings import scrape_gauges

log = logging.getLogger(__name__)


class MetricsController(Controller):
    tags = ["operations"]

    @get("/metrics", summary="Prometheus metrics (text format)", media_type=CONTENT_TYPE)
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        container = root_of(request)
        metrics: PrometheusMetrics = container.metrics()
        outbox: Outbox = container.outbox()
        pending = await _outbox_pending(outbox)
        gauges = await scrape_gauges(container, request.app.state.readiness)  # what the alert rules watch
        return Response(metrics.exposition(pending, gauges), media_type=CONTENT_TYPE)


async def _outbox_pending(outbox: Outbox) -> int | None:
    """Read at scrape time, so it is right whichever process answers; one COUNT on an indexed column. When the
    database cannot answer, the gauge is left out (the scrape still carries every other metric)."""
    try:
        return await outbox.pending_count()
    except Exception as error:
        log.warning("metrics: outbox pending count unavailable: %s", type(error).__name__)
        return None
