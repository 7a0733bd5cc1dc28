"""The load generator: its own process (pinned to its own core), asyncio + uvloop, raw HTTP/1.1 keep-alive.

It replays requests prepared ahead of time (the bodies already signed), one connection per concurrent sender,
and reads back only the status line, the headers it needs and the body's bytes, so that its own CPU stays far
below the server's. Latency is taken per request on this side with perf_counter_ns, from the first byte written
to the last byte read.

Input: a msgpack file of `[label, request bytes, expected status]`. Output (stdout): one JSON document.
A warm-up runs first over the same connections and is not recorded; then the measured phase stops at
`--requests` requests or `--duration` seconds, whichever comes first. Requests are taken in order and used
once, unless `--cycle` (reads may repeat; writes such as distinct webhooks must not).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import msgspec

try:
    import uvloop
except ImportError:  # pragma: no cover - the bench environment has it
    uvloop = None


class Plan:
    def __init__(self, requests: list[tuple[str, bytes, int]], cycle: bool) -> None:
        self.requests, self.cycle = requests, cycle
        self.next = 0

    def take(self) -> tuple[str, bytes, int] | None:
        if self.next >= len(self.requests) and not self.cycle:
            return None
        item = self.requests[self.next % len(self.requests)]
        self.next += 1
        return item


class Phase:
    def __init__(self, limit: int, deadline: float | None, rate: float = 0.0) -> None:
        self.limit, self.deadline = limit, deadline
        self.rate, self.began = rate, 0.0  # rate > 0: requests start on a schedule of `rate` a second from `began`
        self.started = 0
        self.latencies: list[int] = []
        self.labels: dict[str, list[int]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    def may_start(self) -> bool:
        if self.started >= self.limit:
            return False
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return False
        self.started += 1
        return True


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    keep = b"connection: close" not in lowered
    marker = lowered.find(b"content-length:")
    if marker >= 0:
        end = lowered.index(b"\r\n", marker)
        body = await reader.readexactly(int(lowered[marker + 15 : end]))
    elif b"transfer-encoding: chunked" in lowered:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(part[:-2] for part in parts)
    else:
        body = b""
    return status, body, keep


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def reopen(self) -> None:
        self.writer.close()
        await self.open()

    async def run(self, plan: Plan, phase: Phase) -> None:
        while phase.may_start():
            if phase.rate:  # an open workload at a fixed rate: each request waits for its start time
                wait = phase.began + (phase.started - 1) / phase.rate - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            item = plan.take()
            if item is None:
                phase.started -= 1
                phase.limit = phase.started  # out of distinct requests: the phase ends for every sender
                return
            label, raw, expected = item
            began = time.perf_counter_ns()
            try:
                self.writer.write(raw)
                status, body, keep = await read_response(self.reader)
            except (OSError, asyncio.IncompleteReadError) as error:
                phase.errors.append(f"{label}: {type(error).__name__}: {error}")
                await self.reopen()
                continue
            elapsed = time.perf_counter_ns() - began
            phase.latencies.append(elapsed)
            phase.labels[label].append(elapsed)
            phase.statuses[status] += 1
            if status != expected:
                phase.errors.append(f"{label}: HTTP {status} (expected {expected}): {body[:300]!r}")
            if not keep:
                await self.reopen()


def percentile(ordered: list[int], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] / 1e6


def summary(latencies: list[int]) -> dict[str, float | int]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": percentile(ordered, 0.50),
        "p90_ms": percentile(ordered, 0.90),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] / 1e6 if ordered else 0.0,
    }


async def run(args: argparse.Namespace, requests: list[tuple[str, bytes, int]]) -> dict[str, object]:
    plan = Plan(requests, args.cycle)
    warmup, measured = Phase(args.warmup, None), Phase(args.requests, None)
    connections = [Connection(args.host, args.port) for _ in range(args.concurrency)]
    await asyncio.gather(*(connection.open() for connection in connections))
    await asyncio.gather(*(connection.run(plan, warmup) for connection in connections))
    # the same warm connections go on; the clock starts when every sender is ready
    started = time.perf_counter()
    measured.deadline, measured.rate, measured.began = started + args.duration, args.rate, started
    await asyncio.gather(*(connection.run(plan, measured) for connection in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.writer.close()
    return {
        "concurrency": args.concurrency,
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(measured.latencies) / elapsed, 1) if elapsed else 0.0,
        **summary(measured.latencies),
        "errors": len(measured.errors) + len(warmup.errors),
        "error_samples": (warmup.errors + measured.errors)[:5],
        "statuses": {str(code): count for code, count in sorted(measured.statuses.items())},
        "warmup_requests": len(warmup.latencies),
        "sent_total": plan.next,
        "by_label": {label: summary(values) for label, values in sorted(measured.labels.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests-file", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20_000, help="measured requests at most")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds at most")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--cycle", action="store_true", help="reuse the requests in a loop")
    parser.add_argument("--rate", type=float, default=0.0, help="measured requests a second (0: as fast as served)")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    requests = [
        (label, raw, expected) for label, raw, expected in msgspec.msgpack.decode(Path(args.requests_file).read_bytes())
    ]
    result = (uvloop.run if uvloop else asyncio.run)(run(args, requests))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
