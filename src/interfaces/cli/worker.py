"""`payments worker`: the background loops as their own process (outbox relay, order callbacks, webhook
retries, janitor). SIGTERM or Ctrl-C stops it gracefully: the batch in progress finishes, leases are released."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from infrastructure.container import build_container, close_resources, open_resources
from infrastructure.settings import Settings, load_settings
from infrastructure.worker.assembly import build_worker, worker_id
from interfaces.cli.database_wait import wait_for_the_database
from interfaces.cli.db import ensure_schema
from interfaces.log_redaction import configured_secrets
from interfaces.logging_setup import configure_logging


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "worker", help="run the background worker: outbox relay, order callbacks, webhook retries, janitor"
    )
    parser.add_argument("--name", help="this worker's name in leases and logs (default host:pid)")
    parser.add_argument(
        "--metrics-port", type=int, metavar="P", help="serve this worker's Prometheus metrics on P (at PAYMENTS_HOST)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, secrets=configured_secrets(settings))
    wait_for_the_database(settings)
    ensure_schema(settings)
    name = args.name or worker_id()
    print(f"Payments worker {name} running against {_where(settings)}; Ctrl-C stops it.", flush=True)
    _event_loop_run()(_run(settings, name, args.metrics_port))
    return 0


def _event_loop_run() -> Callable[[Coroutine[Any, Any, None]], None]:
    """uvloop where installed (it comes with uvicorn[standard], as `serve` uses it): the worker is mostly round
    trips to Postgres and callback posts, and uvloop's sockets cost a fraction of asyncio's own."""
    try:
        import uvloop  # optional: plain asyncio where it is not installed
    except ImportError:
        return asyncio.run
    return uvloop.run


async def _run(settings: Settings, name: str, metrics_port: int | None = None) -> None:
    container = build_container(settings)
    open_resources(container)
    runner = build_worker(container, name)
    # without a port, its metrics reach a scrape only through a PROMETHEUS_MULTIPROC_DIR shared with `serve`
    stop_metrics = None if metrics_port is None else container.metrics().start_http_server(metrics_port, settings.host)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, runner.stop)
    try:
        await runner.run()
    finally:
        if stop_metrics is not None:
            stop_metrics()
        await close_resources(container)


def _where(settings: Settings) -> str:
    return "SQLite" if settings.is_sqlite else "Postgres"
