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


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


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
        for url in urls:
            eventually(lambda url=url: healthy(url), timeout=30, what=f"{url} to start")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
