"""`payments serve`: the HTTP API under uvicorn.

In development it also makes the service usable at once: the SQLite database is migrated and, when no API
keys are configured, a fresh admin key named `dev-admin` is created (the previous one revoked) and printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from application.ports.api_keys import ApiKeyStore
from application.ports.clock import Clock
from infrastructure.container import build_container, close_resources
from infrastructure.metrics.multiprocess import serving_directory
from infrastructure.settings import Settings, load_settings
from interfaces.cli.db import ensure_schema
from interfaces.log_redaction import configured_secrets
from interfaces.logging_setup import configure_logging

DEV_KEY_NAME = "dev-admin"
WORKER_START_SECONDS = 60  # see uvicorn.run below


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
    os.environ.setdefault("PAYMENTS_SIMULATOR_WEBHOOK_SECRET", settings.simulator_webhook_secret)
    configure_logging(settings.log_level, settings.log_format, secrets=configured_secrets(settings))
    if not settings.is_production:
        ensure_schema(settings)
    asyncio.run(_prepare(settings))
    print(
        f"Payments service ({settings.env}) listening on http://{settings.host}:{settings.port} "
        f"with {args.workers} worker(s); public URL {settings.public_url}, API docs at {settings.public_url}/schema",
        flush=True,
    )
    uvicorn.run(
        "interfaces.http.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        # Our logging everywhere: uvicorn's records go through the root handler (JSON in production), and its
        # access log is off because the edge middleware (http/edge.py) writes the one line per request, with ids and route.
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
    return 0


async def _prepare(settings: Settings) -> None:
    """Fails fast on what would otherwise fail inside uvicorn's processes, and makes the development key."""
    container = build_container(settings)
    try:
        container.payment_providers()  # SettingsError for providers this version does not implement
        if not settings.is_production and not settings.api_keys:
            key = await _fresh_dev_key(container.api_keys(), container.clock())
            print(f"Development admin API key (shown once, recreated at each start): {key}")
            print(
                f"  try: curl -X POST {settings.public_url}/api/v1/orders/demo-1/checkout "
                f"-H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' "
                """-d '{"amount": 1999, "currency": "USD"}'""",
                flush=True,
            )
    finally:
        await close_resources(container)


async def _fresh_dev_key(store: ApiKeyStore, clock: Clock) -> str:
    """Revokes the previous development keys, then creates one. Key names stay unique even among revoked
    keys (an audit trail's actor must name one key), so once `dev-admin` is taken the name gets a timestamp."""
    for key in await store.list():
        if key.revoked_at is None and (key.name == DEV_KEY_NAME or key.name.startswith(f"{DEV_KEY_NAME}-")):
            await store.revoke(key.id, clock.now())
    now = clock.now()
    try:
        _, raw_key = await store.create(DEV_KEY_NAME, ("admin",), now)
    except ValueError:  # the name is held by a revoked key
        _, raw_key = await store.create(f"{DEV_KEY_NAME}-{now:%Y%m%d%H%M%S%f}", ("admin",), now)
    return raw_key


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
