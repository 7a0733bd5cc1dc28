"""The worker's janitor loop runs one pass through the bus and says how much it checked."""

from __future__ import annotations

from typing import Any

from application.worker.janitor_report import JanitorReport
from application.worker.run_janitor import RunJanitor
from infrastructure.worker.assembly import _sending
from tests.unit.fakes import T0


class _Bus:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, message: Any) -> JanitorReport:
        self.sent.append(message)
        return JanitorReport(T0, T0, 2, 1, 3, (), ())


async def test_the_job_sends_run_janitor_and_returns_the_count_checked() -> None:
    bus = _Bus()
    job = _sending(bus, RunJanitor(), lambda report: report.checked)  # type: ignore[arg-type]  # as the worker's loop

    assert await job() == 3
    assert bus.sent == [RunJanitor()]
