"""`payments serve`: the HTTP API under uvicorn.

In development it also makes the service usable at once: the SQLite database is migrated and, when no API
keys are configured, an admin key is printed, the same one at every start (`dev_key.py`).

The listening socket is bound first, before anything is changed: a second `serve` on a taken port says so in one
line and exits 1, leaving the database and the running server's key alone. uvicorn is handed that socket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from infrastructure.container import build_container, close_resources
from infrastructure.metrics.multiprocess import serving_directory
from infrastructure.providers.simulator.config import WEBHOOK_SECRET, SimulatorConfig
from infrastructure.settings import Settings, load_settings
from interfaces.cli import CommandFailed
from interfaces.cli.database_wait import wait_for_the_database
from interfaces.cli.db import ensure_schema
from interfaces.cli.dev_key import DevKey, dev_key_file, lasting_dev_key
from interfaces.log_redaction import configured_secrets
from interfaces.logging_setup import configure_logging

STARTUP_FAILURE = 3  # uvicorn's own exit code when the app did not start
WORKER_START_SECONDS = 60  # see _run_uvicorn


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", help="listen address (default PAYMENTS_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default PAYMENTS_PORT or 8000)")
    parser.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default 1)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    # With several processes each writes its metrics to one directory, so a scrape of any of them sums them
    # all; the processes inherit PROMETHEUS_MULTIPROC_DIR, which is set before any of them creates a metric.
    # One process keeps them in memory, unless the operator's directory is shared with workers on this host.
    with serving_directory(args.workers), _sigterm_unwinds():
        return _serve(args)


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """After a graceful stop on SIGTERM, uvicorn raises the signal again under the handler it found; with the
    default one the process would die there, skipping cleanup (the private metrics directory). This one
    unwinds instead, and exits with the shell's code for SIGTERM."""

    def unwind(signum: int, _: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace) -> int:
    # uvicorn's processes build the app from the environment (create_app_from_env), so every choice made
    # here goes into it: the listen address (the derived public URL, which the simulator posts its webhooks
    # to, must follow --port) and the simulator's secret (random per start, but one for all processes).
    if args.host:
        os.environ["PAYMENTS_HOST"] = args.host
    if args.port is not None:
        os.environ["PAYMENTS_PORT"] = str(args.port)
    settings = load_settings()
    with _listening_socket(settings.host, settings.port) as listener:
        _share_simulator_secrets(settings)
        configure_logging(settings.log_level, settings.log_format, secrets=configured_secrets(settings))
        wait_for_the_database(settings, listener)  # answering /health and /ready meanwhile
        if not settings.is_production:
            ensure_schema(settings)
        asyncio.run(_prepare(settings))
        print(
            f"Payments service ({settings.env}) listening on http://{settings.host}:{settings.port} "
            f"with {args.workers} worker(s); public URL {settings.public_url}, "
            f"API docs at {settings.public_url}/schema",
            flush=True,
        )
        return _run_uvicorn(settings, args.workers, listener)


def _share_simulator_secrets(settings: Settings) -> None:
    """The simulator's secrets, random per start unless configured, become the environment of uvicorn's processes:
    a webhook signed by one process's simulator must verify in every other."""
    simulator = settings.provider_configs.get("simulator")
    if isinstance(simulator, SimulatorConfig):
        os.environ.setdefault(WEBHOOK_SECRET, ",".join(simulator.webhook_secrets))


@contextmanager
def _listening_socket(host: str, port: int) -> Iterator[socket.socket]:
    """The socket bound to the listen address (as uvicorn binds it), or CommandFailed naming why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # reuse TIME_WAIT, never a live listener
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise CommandFailed(f"cannot listen on {host}:{port}: {error.strerror or error}; nothing was changed") from None
    listener.set_inheritable(True)  # uvicorn's worker processes serve the same socket
    try:
        yield listener
    finally:
        listener.close()


def _run_uvicorn(settings: Settings, workers: int, listener: socket.socket) -> int:
    config = uvicorn.Config(
        "interfaces.http.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=settings.log_level,
        # Our logging everywhere: uvicorn's records go through the root handler (JSON in production), and its
        # access log is off: the edge middleware (http/edge.py) writes the one line per request, with ids and route.
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        # uvicorn kills a worker that does not answer its supervisor within this time, and a worker answers only
        # once it has imported the app (seconds of CPU): with uvicorn's 5 s a busy or CPU-limited host killed
        # every worker while it was still starting, and `--workers N` never served. A worker that is up answers
        # from its own thread, so a longer limit hardly delays noticing one that died.
        timeout_worker_healthcheck=WORKER_START_SECONDS,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[listener]).run()
            return 0
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # Ctrl-C: uvicorn has already stopped gracefully
        pass
    return 0 if server.started or workers > 1 else STARTUP_FAILURE


async def _prepare(settings: Settings) -> None:
    """Fails fast on what would otherwise fail inside uvicorn's processes, and prints the development key."""
    container = build_container(settings)
    try:
        container.payment_providers()  # SettingsError for providers this version does not implement
        if not settings.is_production and not settings.api_keys:
            key = await lasting_dev_key(container.api_keys(), container.clock(), dev_key_file(settings))
            _announce(key, settings.public_url)
    finally:
        await close_resources(container)


def _announce(key: DevKey, public_url: str) -> None:
    if key.file is None:
        kept = "recreated at each start: this database keeps no file"
    else:
        kept = f"kept across restarts in {key.file}" + (", new" if key.created else "")
    print(f"Development admin API key ({kept}): {key.raw}")
    print(
        f"  try: curl -X POST {public_url}/api/v1/orders/demo-1/checkout "
        f"-H 'Authorization: Bearer {key.raw}' -H 'Content-Type: application/json' "
        """-d '{"amount": 1999, "currency": "USD"}'""",
    )
    print(
        "  a key of your own: payments api-keys create NAME --scope payments:write --scope payments:read",
        flush=True,
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
