"""`payments serve --workers N` on a slow host: a worker process that needs several seconds before it can answer
uvicorn's supervisor (importing the app on a busy or CPU-limited machine) is waited for, not killed and
restarted forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.api_processes import ROOT, free_port, wait_until_healthy

# Loaded by every interpreter started with this PYTHONPATH; it delays only the workers uvicorn spawns
SLOW_START = """import sys, time
if "--multiprocessing-fork" in sys.orig_argv and any("spawn_main" in arg for arg in sys.orig_argv):
    time.sleep(7)  # more than uvicorn's default 5 s for a worker to answer its supervisor
"""


def test_workers_slower_to_start_than_uvicorns_default_are_waited_for(tmp_path: Path) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_START)
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {
        "PYTHONPATH": str(slow),
        "TMPDIR": str(tmp_path / "tmp"),
        "PAYMENTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}",
        "PAYMENTS_API_KEYS": json.dumps([{"name": "admin", "key": "pk_workers_" + "7" * 32, "scopes": ["admin"]}]),
        "PAYMENTS_WORKER_IN_PROCESS": "false",
        "PAYMENTS_LOG_LEVEL": "info",
    }
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "interfaces.cli.main", "serve", "--port", str(port), "--workers", "2"]
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", timeout=60, process=process, log=log)
        assert "died" not in log.read_text()  # no worker was killed for being slow
    finally:
        process.terminate()
        process.wait(20)
