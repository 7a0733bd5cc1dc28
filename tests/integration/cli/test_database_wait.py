"""`payments serve` and `payments worker` started before the database: they wait for it (one log line per
attempt, `/health` 200 and `/ready` 503 from serve meanwhile) and come up by themselves once it answers; when
it never does, they exit 1 with one line and no traceback.

"The database comes up" without stopping the shared Postgres server: the processes are pointed at a local
port where nothing listens until a TCP proxy to the real server starts there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.api_processes import ROOT, eventually, free_port
from tests.tcp_proxy import forwarding

ADMIN_KEY = "pk_dbwait_" + "8" * 32


def _environment(database_url: str, tmp_path: Path, timeout_s: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    return env | {
        "PAYMENTS_DATABASE_URL": database_url,
        "PAYMENTS_DB_CONNECT_TIMEOUT_S": str(timeout_s),
        "PAYMENTS_API_KEYS": json.dumps([{"name": "admin", "key": ADMIN_KEY, "scopes": ["admin"]}]),
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_STATUS_CACHE_ENTRIES": "0",
        "TMPDIR": str(tmp_path),
    }


@contextmanager
def _started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.main", *command], cwd=ROOT, env=env, stdout=sink, stderr=sink
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


def _answer(base_url: str, path: str) -> tuple[int, dict[str, object]] | None:
    try:
        response = httpx.get(base_url + path, timeout=2, headers={"Connection": "close"})
    except httpx.TransportError:
        return None
    return response.status_code, response.json()


@pytest.mark.postgres
def test_serve_and_worker_started_before_the_database_come_up_when_it_does(
    postgres_session_url: str, tmp_path: Path
) -> None:
    real = urlsplit(postgres_session_url)
    proxy_port, http_port = free_port(), free_port()
    env = _environment(_via(postgres_session_url, proxy_port), tmp_path, timeout_s=120)
    base_url = f"http://127.0.0.1:{http_port}"
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    with (
        _started(["serve", "--port", str(http_port)], env, serve_log) as serve,
        _started(["worker", "--name", "early"], env, worker_log) as worker,
    ):
        eventually(lambda: _answer(base_url, "/health") == (200, {"status": "ok"}), 60, "serve answering /health")
        status, problem = _answer(base_url, "/ready") or (0, {})
        assert status == 503, problem
        assert str(problem["type"]).endswith("/problems/service-unavailable"), problem
        assert f"waiting for the database at 127.0.0.1:{proxy_port}/" in str(problem["detail"])
        waiting = f"waiting for the database at 127.0.0.1:{proxy_port}/{real.path.lstrip('/')}: attempt 2 failed"
        eventually(lambda: waiting in worker_log.read_text() and waiting in serve_log.read_text(), 30, "two attempts")

        with forwarding(proxy_port, real.hostname or "127.0.0.1", real.port or 5432):
            eventually(lambda: (_answer(base_url, "/ready") or (0,))[0] == 200, 60, "serve ready")
            eventually(lambda: "Payments worker early running" in worker_log.read_text(), 60, "the worker running")
            assert serve.poll() is None
            assert worker.poll() is None
    for log in (serve_log, worker_log):
        assert "Traceback" not in log.read_text(), log.read_text()
        assert f"the database at 127.0.0.1:{proxy_port}/" in log.read_text()
        assert "answers (attempt" in log.read_text()


@pytest.mark.parametrize("name", ["worker", "serve"])
def test_a_database_that_never_answers_ends_the_start_with_one_line(name: str, tmp_path: Path) -> None:
    command = [name, "--port", str(free_port())] if name == "serve" else [name]
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/payments"
    log = tmp_path / "start.log"
    with _started(command, _environment(nowhere, tmp_path, timeout_s=2), log) as process:
        assert process.wait(60) == 1, log.read_text()
    lines = log.read_text().splitlines()
    assert "Traceback" not in log.read_text()
    assert lines[-1].startswith("the database at 127.0.0.1:"), lines
    assert "did not answer within 2 s" in lines[-1], lines
    assert len(lines) >= 2, lines  # at least one attempt before the last
    assert all("waiting for the database at" in line for line in lines[:-1]), lines
