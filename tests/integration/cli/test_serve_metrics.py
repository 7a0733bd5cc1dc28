"""`/metrics` of real processes: `payments serve --workers 2` reports one sum whichever process answers the
scrape, and a `payments worker` sharing its PROMETHEUS_MULTIPROC_DIR on the same host is counted in it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infrastructure.providers.signing import sign
from tests.api_processes import wait_until_healthy
from tests.faults.conftest import Receiver
from tests.provider_fakes.server import running

ROOT = Path(__file__).resolve().parents[3]
REQUESTS = 120
ADMIN_KEY = "pk_metrics_admin_" + "4" * 24
SIM_SECRET = "whsec_sim_metrics_" + "5" * 16
CALLBACK_SECRET = "cbsec_metrics_" + "6" * 20
START_SECONDS = 90  # under pytest's 120 s per test, so a server that does not start fails with its log


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    return env | {
        "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}",
        "PAYMENTS_API_KEYS": json.dumps([{"name": "admin", "key": ADMIN_KEY, "scopes": ["admin"]}]),
        "PAYMENTS_SIMULATOR_WEBHOOK_SECRET": SIM_SECRET,
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_LOG_LEVEL": "warning",
        **extra,
    }


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(20)


@contextmanager
def _serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with _process(command, env, log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, timeout=START_SECONDS, process=process, log=log)
        yield base


def _eventually(
    check: Callable[[], bool], *, what: str, timeout: float = 60, alive: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert alive is None or alive.poll() is None, f"the process exited waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=5)
    assert answer.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _health_count(found: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
    key = frozenset({"method": "GET", "route": "/health", "status": "200"}.items())
    return found.get(("payments_http_requests_total", key), 0)


def test_two_server_processes_report_one_sum_whichever_answers(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = _env(tmp_path, TMPDIR=str(temp))  # where serve makes its private metrics directory
    with _serve(env, tmp_path) as base:

        def one(_: int = 0) -> int:  # a new connection each: the kernel hands them to either process
            return httpx.get(f"{base}/health", headers={"Connection": "close"}, timeout=10).status_code

        # both processes up: each has answered a request, so each has written its own file
        (directory,) = temp.glob("payments-metrics-*")
        _eventually(lambda: one() == 200 and len(list(directory.glob("counter_*.db"))) >= 2, what="two writers")
        before = _health_count(_scrape(base))

        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(one, range(REQUESTS))) == {200}

        # each scrape is answered by either process; every one of them reports the same total
        counts = [_health_count(_scrape(base)) - before for _ in range(8)]
        assert counts == [REQUESTS] * 8
    assert list(temp.glob("payments-metrics-*")) == []  # the private directory goes with the server


def test_a_multi_process_server_removes_its_private_directory_on_sigterm(tmp_path: Path) -> None:
    """uvicorn re-raises SIGTERM after its graceful stop; serve must still get to its cleanup."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = _free_port()
    command = [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with _process(command, _env(tmp_path, TMPDIR=str(temp)), log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, timeout=START_SECONDS, process=process, log=log)
        assert _health_count(_scrape(base)) >= 1
        assert len(list(temp.glob("payments-metrics-*"))) == 1
        process.terminate()
        assert process.wait(20) in (0, 128 + 15)
    assert list(temp.glob("payments-metrics-*")) == []


def test_a_single_process_server_counts_in_memory_and_leaves_no_directory(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = _free_port()
    command = [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with _process(command, _env(tmp_path, TMPDIR=str(temp)), log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, timeout=START_SECONDS, process=process, log=log)
        before = _health_count(_scrape(base))
        for _ in range(5):
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        assert _health_count(_scrape(base)) - before == 5
        assert list(temp.glob("payments-metrics-*")) == []
        process.terminate()
        assert process.wait(20) == 128 + 15


def _paid_webhook(payment_id: str) -> tuple[bytes, dict[str, str]]:
    now = int(time.time())
    body = json.dumps(
        {
            "id": f"evt_metrics_{payment_id}",
            "type": "payment.succeeded",
            "created": now,
            "data": {"payment_id": payment_id, "amount": 2_500, "currency": "USD"},
        }
    ).encode()
    return body, {"Content-Type": "application/json", "Simulator-Signature": sign(SIM_SECRET, body, now)}


@pytest.mark.parametrize("how", ["shared directory", "own port"])
def test_a_workers_deliveries_reach_a_scrape(tmp_path: Path, how: str) -> None:
    """The two documented ways: a PROMETHEUS_MULTIPROC_DIR shared with serve on the same host (the worker's
    counts appear in serve's /metrics), or `payments worker --metrics-port` (scraped on its own)."""
    shared = tmp_path / "metrics"
    receiver = Receiver()
    with running(receiver) as receiver_base:
        env = _env(
            tmp_path,
            PAYMENTS_CALLBACK_SECRET=CALLBACK_SECRET,
            PAYMENTS_ORDER_CALLBACK_URL=f"{receiver_base}/payment-events",
        )
        if how == "shared directory":
            env["PROMETHEUS_MULTIPROC_DIR"] = str(shared)  # the operator's, given to serve and the worker
        worker_port = _free_port()
        worker = [sys.executable, "-m", "interfaces.cli.main", "worker", "--name", "metrics-worker"]
        if how == "own port":
            worker += ["--metrics-port", str(worker_port)]
        with _serve(env, tmp_path) as base, _process(worker, env, tmp_path / "worker.log"):
            auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
            checkout = httpx.post(
                f"{base}/api/v1/orders/metrics-1/checkout", json={"amount": 2_500, "currency": "USD"}, headers=auth
            )
            assert checkout.status_code == 201, checkout.text
            body, headers = _paid_webhook(checkout.json()["id"])
            assert httpx.post(f"{base}/api/v1/webhooks/simulator", content=body, headers=headers).status_code == 200

            delivered = ("payments_notifications_total", frozenset({"outcome": "delivered"}.items()))
            worker_scrape = base if how == "shared directory" else f"http://127.0.0.1:{worker_port}"
            _eventually(lambda: _scrape_quietly(worker_scrape).get(delivered) == 1, what="the delivery to be counted")
            assert [body["type"] for body in receiver.bodies()] == ["payment.succeeded"]
            found = _scrape(base)
            assert found[("payments_outbox_pending", frozenset())] == 0  # the worker relayed everything
            transition = frozenset({"from_status": "processing", "to_status": "succeeded"}.items())
            assert found[("payments_status_transitions_total", transition)] == 1
            if how == "own port":
                assert delivered not in found  # counted once, where the worker serves it, not twice
    if how == "shared directory":
        assert shared.is_dir()  # the operator's directory: serve neither made its own nor removed this one


def _scrape_quietly(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    try:
        return _scrape(base)
    except httpx.TransportError:  # the worker's port is not open yet
        return {}
