"""What /metrics reads at scrape time besides the counters: the database's backlog and stuck work, this
process's circuits, and what /ready would answer (infrastructure/metrics/scrape_gauges.py names the gauges).

Each reading that cannot be taken is left out of the scrape (logged), never reported as zero: an alert on a
missing series is `absent()`, on a wrong one it would be silence.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from prometheus_client.metrics_core import Metric

from infrastructure.metrics.scrape_gauges import circuit_gauges, operations_gauges, readiness_gauges
from interfaces.http.readiness import FAILED, NOT_CONFIGURED, OK

if TYPE_CHECKING:
    from application.ports.clock import Clock
    from infrastructure.container import Container
    from infrastructure.db.read.operations_readings import SqlOperationsReadings
    from infrastructure.providers.registry import ProviderRegistry
    from interfaces.http.readiness import Readiness

log = logging.getLogger(__name__)


async def scrape_gauges(container: Container, readiness: Readiness) -> list[Metric]:
    gauges: list[Metric] = []
    readings: SqlOperationsReadings = container.operations_readings()
    clock: Clock = container.clock()
    try:
        gauges += operations_gauges(await readings.read(clock.now()))
    except Exception as error:
        log.warning("metrics: operations readings unavailable: %s", type(error).__name__)
    checks = await readiness.check()  # never raises: each check reports its own failure
    gauges += readiness_gauges(
        {
            "database": checks.checks.database == OK,
            "migrations": checks.checks.migrations == OK,
            "broker": checks.checks.broker in (OK, NOT_CONFIGURED),
            "providers": bool(checks.checks.providers)
            and not any(v.startswith(FAILED) for v in checks.checks.providers.values()),
        }
    )
    try:
        registry: ProviderRegistry = container.payment_providers()
    except Exception:  # misconfigured providers: readiness above already says so
        return gauges
    gauges.append(circuit_gauges({name: registry.get(name).breaker.is_open for name in registry.names()}))
    return gauges
