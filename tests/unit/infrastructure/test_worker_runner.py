"""The worker loops: busy jobs run back to back, idle ones wait, failures never stop the worker, and a stop
lets the batch in progress finish before leases are released."""

from __future__ import annotations

import asyncio

from infrastructure.worker.runner import Loop, WorkerRunner


async def test_a_busy_job_runs_again_at_once_and_an_idle_one_waits() -> None:
    calls = {"busy": 0, "idle": 0}

    async def busy() -> int:
        calls["busy"] += 1
        return 1

    async def idle() -> int:
        calls["idle"] += 1
        return 0

    runner = WorkerRunner([Loop("busy", busy, 10.0), Loop("idle", idle, 10.0)])
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.05)
    runner.stop()
    await asyncio.wait_for(task, 1)

    assert calls["busy"] > 10
    assert calls["idle"] == 1  # waited its interval: the stop woke it without a second run


async def test_a_failing_job_is_logged_and_retried_not_fatal() -> None:
    outcomes: list[str] = []

    async def flaky() -> int:
        outcomes.append("call")
        if len(outcomes) < 3:
            raise RuntimeError("database blinked")
        return 0

    runner = WorkerRunner([Loop("flaky", flaky, 0.001)])
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.1)
    runner.stop()
    await asyncio.wait_for(task, 1)

    assert len(outcomes) >= 3


async def test_stop_finishes_the_batch_in_progress_then_releases() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def slow_batch() -> int:
        events.append("batch started")
        started.set()
        await asyncio.sleep(0.05)
        events.append("batch finished")
        return 1

    async def release() -> None:
        events.append("released")

    runner = WorkerRunner([Loop("deliver", slow_batch, 1.0)], on_stop=release)
    task = asyncio.create_task(runner.run())
    await started.wait()
    runner.stop()
    await asyncio.wait_for(task, 1)

    assert events == ["batch started", "batch finished", "released"]
