"""Fault tests: real worker processes (`payments worker`) against the session's Postgres, an API over HTTP,
and an order system's callback receiver that can fail or hang on command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, api_keys, serve

__all__ = ["ROOT", "api_keys", "eventually"]  # the e2e API keys fixture, shared with these tests
from tests.api_processes import ROOT, eventually
from tests.provider_fakes.server import running

CALLBACK_SECRET = "cbsec_faults_" + "1" * 20


@dataclass
class Receiver:
    """An order system's callback endpoint. `fail_first` answers 500 that many times; `hang_first` holds that
    many requests open until `release()` (a worker killed meanwhile never sees an answer)."""

    fail_first: int = 0
    hang_first: int = 0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)  # headers, body, answer
    arrived_at: list[float] = field(default_factory=list)  # time.time() each request arrived, in order
    released: bool = False

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        if scope["path"] == "/__health":
            await _answer(send, 200)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        number = len(self.requests) + 1
        status = 200 if number > self.hang_first + self.fail_first else 500
        self.requests.append((headers, body, status if number > self.hang_first else 0))
        self.arrived_at.append(time.time())
        while number <= self.hang_first and not self.released:
            await asyncio.sleep(0.05)
        await _answer(send, status)

    def release(self) -> None:
        self.released = True

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, _ in self.requests]


async def _answer(send: Callable[..., Any], status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"no"})


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with running(app) as base_url:
        yield app, f"{base_url}/payment-events"
        app.release()


@pytest.fixture
def api(postgres: str, api_keys: dict[str, str], receiver: tuple[Receiver, str]) -> Iterator[LiveServer]:
    yield from serve(postgres, api_keys, callback_secret=CALLBACK_SECRET, order_callback_url=receiver[1])


class Workers:
    """Starts and kills `payments worker` processes; all are stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, database_url: str, callback_url: str) -> None:
        self._env = {
            **os.environ,
            "PAYMENTS_DATABASE_URL": database_url,
            "PAYMENTS_CALLBACK_SECRET": CALLBACK_SECRET,
            "PAYMENTS_ORDER_CALLBACK_URL": callback_url,
            "PAYMENTS_RETRY_BASE_SECONDS": "1",
            "PAYMENTS_WORKER_LEASE_SECONDS": "3",
            "PAYMENTS_LOG_LEVEL": "warning",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "interfaces.cli.main", "worker", "--name", name]
        process = subprocess.Popen(command, cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL)
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        self.processes[name].kill()
        self.processes[name].wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def workers(postgres: str, receiver: tuple[Receiver, str]) -> Iterator[Workers]:
    started = Workers(postgres, receiver[1])
    yield started
    started.stop_all()
