"""Real `payments serve` processes for tests that need several of them (scale-out, shared rate limits)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(
    url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> int:
    """Polls `url`/health until it answers 200; returns how many polls reached the server. Fails with the
    process's log when it exits or `timeout` passes: keep `timeout` under pytest's per-test limit, or that
    limit fires first, mid-poll, and the failure shows the poll's innards instead of why the server is not up.
    One client for every poll: `httpx.get` builds a TLS context (~35 ms of CPU) per call, which a start-up
    poll every 50 ms turned into CPU taken from the server it waits for."""
    deadline, answered = time.monotonic() + timeout, 0
    with httpx.Client(timeout=1, headers={"Connection": "close"}) as probe:
        while True:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"{url} exited while starting:\n{_text(log)}")
            try:
                status = probe.get(f"{url}/health").status_code
                answered += 1
                if status == 200:
                    return answered
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer /health within {timeout} s:\n{_text(log)}")
            time.sleep(0.05)


def _text(log: Path | None) -> str:
    return log.read_text() if log is not None and log.exists() else "(no log)"


def eventually(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def api_processes(env_for: Callable[[int], dict[str, str]], count: int = 2) -> Iterator[list[str]]:
    """`count` single-process APIs, each started with `env_for(port)`; yields their base URLs once all are up."""
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env_for(port),
            stdout=subprocess.DEVNULL,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_healthy(url, timeout=45, process=process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
