"""The `outbox` scenario: does the worker keep up with webhooks arriving at a steady rate?

Webhooks arrive at OUTBOX_RATE a second (an open workload: each starts on its schedule, whatever the answers
before it) for the scenario's duration. Each one writes an outbox row; one `payments worker` process relays the
rows into callbacks and posts them, signed, to a local receiver (callback_receiver.py) that answers 200 at once.
Every second the bench reads the backlog: outbox rows not yet relayed plus callbacks not yet delivered. The worker
keeps up when the backlog stays flat while webhooks arrive (its growth, the slope of a straight line through the
samples of the second half, is under GROWTH_LIMIT of the arrival rate) and every callback arrives.

Where things run: the service on the server CPU as in every scenario; the receiver and the load generator share
the other CPU with Postgres; the worker (its own process, as in production: `payments worker`) is not pinned,
so it takes whichever CPU has time: pinned beside Postgres, every round trip would wait for a context switch.
Rows the other scenarios left in the outbox (the service runs without a worker there) are marked relayed first,
so that only this scenario's webhooks are counted, and the seeded open checkouts are scheduled for the janitor a
day ahead (see _settle_earlier_rows).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import processes
import seed
import workload

BENCH = Path(__file__).resolve().parent
OUTBOX_RATE = 500  # webhooks a second
SENDERS = 32
GROWTH_LIMIT = 0.05  # of the arrival rate: a backlog growing slower than this is noise, not falling behind
DRAIN_TIMEOUT_S = 60
CALLBACK_SECRET = "whsec_bench_callbacks_" + "0" * 20
_BACKLOG = """
SELECT (SELECT count(*) FROM outbox WHERE status = 'pending')
     + (SELECT count(*) FROM notifications WHERE status <> 'delivered')
"""


def needed(duration: float) -> int:
    """Webhook payments the scenario pays (seeded for it, beyond the other scenarios' own)."""
    return int(OUTBOX_RATE * duration) + 1


def run(
    *,
    payments: list[seed.WebhookPayment],
    url: str,
    env: dict[str, str],
    serve: list[str],
    worker: list[str],
    cwd: Path,
    work: Path,
    server_cpu: int | None,
    side_cpu: int | None,
    duration: float,
    webhook_secret: str,
) -> dict[str, Any]:
    asyncio.run(_settle_earlier_rows(url))
    receiver_port, port = processes.free_port(), processes.free_port()
    receiver = processes.start(
        "callback_receiver",
        [sys.executable, str(BENCH / "callback_receiver.py"), f"--port={receiver_port}"],
        receiver_port,
        env,
        BENCH,
        work,
        side_cpu,
    )
    env = {
        **env,
        "PAYMENTS_ORDER_CALLBACK_URL": f"http://127.0.0.1:{receiver_port}/callbacks",
        "PAYMENTS_CALLBACK_SECRET": CALLBACK_SECRET,
    }
    server = processes.start("service", [*serve, f"--port={port}"], port, env, cwd, work, server_cpu)
    with (work / "worker.log").open("wb") as log:
        relay = subprocess.Popen(
            worker, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )  # not pinned: sharing a core with Postgres, each round trip would wait for a context switch
    relay_process = processes.Server("worker", relay, 0, work / "worker.log")
    try:
        requests = workload.webhooks(port, payments, webhook_secret, "bench_outbox")
        return _measure(requests, port, url, work, side_cpu, duration, receiver_port, relay_process)
    finally:
        relay_process.stop()
        server.stop()
        receiver.stop()


def _measure(
    requests: list[workload.Request],
    port: int,
    url: str,
    work: Path,
    side_cpu: int | None,
    duration: float,
    receiver_port: int,
    worker: processes.Server,
) -> dict[str, Any]:
    path = work / "outbox.msgpack"
    path.write_bytes(msgspec.msgpack.encode(requests))
    command = processes.loadgen_command(
        path,
        port,
        concurrency=SENDERS,
        requests=len(requests),
        duration=duration,
        warmup=0,
        cpu=side_cpu,
        rate=OUTBOX_RATE,
    )
    feeding: dict[str, Any] = {}
    feeder = threading.Thread(target=lambda: feeding.update(_feed(command, duration)))
    cpu_before, began = worker.cpu_seconds(), time.monotonic()
    feeder.start()
    samples, delivered = asyncio.run(_sample(url, feeder, began, receiver_port))
    fed_for = feeding.get("elapsed_s", duration)
    worker_cpu_s = worker.cpu_seconds() - cpu_before
    worker_busy = worker_cpu_s / (time.monotonic() - began)
    during = [(t, backlog) for t, backlog in samples if t <= fed_for]
    slope = _slope(during[len(during) // 2 :])
    drained = next((t - fed_for for t, backlog in samples if t > fed_for and backlog == 0), None)
    rates = _callback_rates(samples, delivered, fed_for)
    counts = _receiver_counts(receiver_port)
    accepted = feeding.get("statuses", {}).get("200", 0)
    keeps_up = slope < GROWTH_LIMIT * OUTBOX_RATE and drained is not None and counts["received"] == accepted
    return {
        "rate_wanted": OUTBOX_RATE,
        "webhooks": {key: feeding.get(key) for key in ("rps", "p50_ms", "p99_ms", "errors", "error_samples")},
        "webhooks_accepted": accepted,
        "callbacks_received": counts["received"],
        "callbacks_unsigned": counts["unsigned"],
        "backlog_growth_per_s": round(slope, 1),
        "backlog_max": max((backlog for _, backlog in samples), default=0),
        "drained_s_after_feed": None if drained is None else round(drained, 1),
        "worker_cpu_busy": round(worker_busy, 2),
        # the worker's own cost per callback (relay and delivery): steadier than its rates, which move with
        # whatever else the two cores are doing that minute
        "worker_cpu_ms_per_callback": round(1000 * worker_cpu_s / max(counts["received"], 1), 2),
        **rates,
        "samples": [[round(t, 1), backlog] for t, backlog in samples],
        "keeps_up": keeps_up,
        "errors": int(feeding.get("errors", 1)) + counts["unsigned"] + (0 if counts["received"] == accepted else 1),
    }


def _feed(command: list[str], duration: float) -> dict[str, Any]:
    finished = subprocess.run(command, capture_output=True, check=False, timeout=duration + 300)
    if finished.returncode != 0:
        return {"errors": 1, "error_samples": [finished.stderr.decode()[-2000:]]}
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


async def _sample(
    url: str, feeder: threading.Thread, began: float, receiver_port: int
) -> tuple[list[tuple[float, int]], list[int]]:
    """(seconds since the feed began, backlog) and the callbacks received so far, every second, until the feed
    has ended and the backlog is empty (or DRAIN_TIMEOUT_S after the feed)."""
    connection = await asyncpg.connect(seed.dsn(url))
    samples: list[tuple[float, int]] = []
    delivered: list[int] = []
    fed_at: float | None = None
    try:
        while True:
            await asyncio.sleep(1.0)
            backlog = int(await connection.fetchval(_BACKLOG))
            delivered.append(_receiver_counts(receiver_port)["received"])
            now = time.monotonic() - began
            samples.append((now, backlog))
            if fed_at is None and not feeder.is_alive():
                fed_at = now
            if fed_at is not None and (backlog == 0 or now - fed_at > DRAIN_TIMEOUT_S):
                return samples, delivered
    finally:
        await connection.close()
        feeder.join()


def _callback_rates(samples: list[tuple[float, int]], delivered: list[int], fed_for: float) -> dict[str, float]:
    """Callbacks delivered a second while webhooks arrived, and after (the worker alone: its capacity here)."""
    last_fed = max((n for n, (t, _) in enumerate(samples) if t <= fed_for), default=0)
    during = delivered[last_fed] / samples[last_fed][0] if samples else 0.0
    after = samples[-1][0] - samples[last_fed][0] if samples else 0.0
    draining = (delivered[-1] - delivered[last_fed]) / after if after > 0 else 0.0
    return {"callbacks_per_s_while_fed": round(during, 1), "callbacks_per_s_draining": round(draining, 1)}


async def _settle_earlier_rows(url: str) -> None:
    connection = await asyncpg.connect(seed.dsn(url))
    try:
        await connection.execute("UPDATE outbox SET status = 'relayed', published_at = now() WHERE status = 'pending'")
        # The seed leaves thousands of open checkouts unchecked, which no live service has at once: the janitor
        # would spend the scenario asking an unreachable Stripe about them. Scheduled a day ahead, as the janitor
        # schedules its own, they leave the worker to the relay and the callbacks this scenario measures.
        await connection.execute(
            "UPDATE payments SET next_check_at = now() + interval '1 day' "
            "WHERE status IN ('processing', 'authorized') AND next_check_at IS NULL"
        )
    finally:
        await connection.close()


def _receiver_counts(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=5) as answer:
        counts: dict[str, int] = json.loads(answer.read())
        return counts


def _slope(points: list[tuple[float, int]]) -> float:
    """Least-squares growth of the backlog, rows a second (0 with fewer than two samples)."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_b = sum(b for _, b in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (b - mean_b) for t, b in points) / spread if spread else 0.0
