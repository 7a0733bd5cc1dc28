"""prometheus_client's multiprocess mode: each process writes its values to files in one directory, and a
scrape of any process sums every file. This is what makes `/metrics` right under `payments serve --workers N`
(whichever process answers the scrape) and lets `payments worker` processes on the same host be counted too.

The directory is PROMETHEUS_MULTIPROC_DIR. prometheus_client decides how to store values when it is imported;
`enable_multiprocess` also switches a process that imported it before the variable was set (the `serve`
command itself), which is safe only before this process creates any metric value, as the composition root does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import values

ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(ENV) or None


def enable_multiprocess(path: str) -> None:
    """Points this process, and the processes it starts, at `path`."""
    os.makedirs(path, exist_ok=True)
    os.environ[ENV] = path
    if not getattr(values.ValueClass, "_multiprocess", False):
        # one MultiProcessValue class per process: two would keep separate offsets into the same files
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]  # untyped upstream


@contextmanager
def serving_directory(processes: int) -> Iterator[tuple[str | None, bool]]:
    """For `payments serve`: the operator's PROMETHEUS_MULTIPROC_DIR (kept, never wiped: a worker on this host
    may be writing to it), else for several processes a fresh private directory, removed when the server stops,
    else (one process) none: its values stay in memory. Multiprocess values cost a lock, a getpid() and an
    mmap write per increment, about a tenth of the webhook path's CPU in the benchmark's profile.
    Yields the path (None: in memory) and whether it is the operator's."""
    given = multiprocess_dir()
    if given is not None:
        enable_multiprocess(given)
        yield given, True
        return
    if processes == 1:
        yield None, False
        return
    path = tempfile.mkdtemp(prefix="payments-metrics-")
    try:
        enable_multiprocess(path)
        yield path, False
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.environ.pop(ENV, None)
