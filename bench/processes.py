"""Processes of a run: servers pinned to their core, Postgres backends pinned to theirs, resident memory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loadgen_command(
    requests_file: Path,
    port: int,
    *,
    concurrency: int,
    requests: int,
    duration: float,
    warmup: int,
    cpu: int | None,
    cycle: bool = False,
    rate: float = 0.0,
) -> list[str]:
    """The load generator (loadgen.py) over a file of prepared requests; `rate` > 0: an open workload."""
    return [
        sys.executable,
        str(Path(__file__).resolve().parent / "loadgen.py"),
        f"--port={port}",
        f"--requests-file={requests_file}",
        f"--concurrency={concurrency}",
        f"--requests={requests}",
        f"--duration={duration}",
        f"--warmup={warmup}",
        *(["--cycle"] if cycle else []),
        *([f"--rate={rate}"] if rate else []),
        *([f"--cpu={cpu}"] if cpu is not None else []),
    ]


def pinned_to(cpu: int | None) -> Callable[[], None] | None:
    """A preexec_fn: the child (and whatever it starts) runs on `cpu` only."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def rss_mb(self) -> float | None:
        """VmRSS of the server process itself (uvicorn with one worker serves in this process)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    name: str, command: Sequence[str], port: int, env: dict[str, str], cwd: Path, log_dir: Path, cpu: int | None
) -> Server:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pinned_to(cpu)
        )
    server = Server(name, process, port, log)
    deadline = time.monotonic() + 60
    probe = "/hello" if name == "hello" else "/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; its output:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1):
                return server
        except OSError:
            # the raw ceiling has no /health: any HTTP answer means it listens
            if name == "raw_webhook" and _listening(port):
                return server
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer on port {port} within 60 s; see {log}")


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@dataclass
class PostgresPinning:
    """Pins every local postgres process (the postmaster too, so new backends inherit it) to one CPU, and
    gives each its previous affinity back afterwards. Says why when it cannot (not local, no permission)."""

    cpu: int | None
    saved: dict[int, set[int]] = field(default_factory=dict)
    note: str = "not attempted"

    def apply(self) -> None:
        if self.cpu is None:
            self.note = "one CPU only: nothing pinned"
            return
        pids = postgres_pids()
        if not pids:
            self.note = "no local postgres process found (remote server?): not pinned"
            return
        failures = []
        for pid in pids:
            try:
                self.saved[pid] = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, {self.cpu})
            except OSError as error:
                failures.append(f"{pid}: {error.strerror}")
        pinned = len(self.saved) - len(failures)
        self.note = f"{pinned} postgres processes pinned to CPU {self.cpu}"
        if failures:
            self.note += f"; not possible for {len(failures)} ({failures[0]})"

    def restore(self) -> None:
        everything = os.sched_getaffinity(0) | set().union(*self.saved.values()) if self.saved else None
        for pid in postgres_pids():
            with contextlib.suppress(OSError):
                # backends born while pinned have no saved mask: they get the postmaster's old one
                os.sched_setaffinity(pid, self.saved.get(pid) or everything or os.sched_getaffinity(0))


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return sorted(pids)


@contextlib.contextmanager
def pinned_postgres(cpu: int | None) -> Iterator[PostgresPinning]:
    pinning = PostgresPinning(cpu)
    pinning.apply()
    try:
        yield pinning
    finally:
        pinning.restore()


def cpu_steal() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs so far, from /proc/stat; (0, 0) where there is no such file.

    Steal is time the hypervisor gave this VM's CPUs to someone else. On a shared cloud machine it comes and goes
    by the minute, and a scenario measured while it was high is slow for reasons that are not the service's:
    each result carries the share, so a reader can tell a slow run from a slow service."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0, 0
    values = [int(value) for value in fields]
    return (values[7] if len(values) > 7 else 0), sum(values[:8])


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total > 0 else 0.0
