"""`payments api-keys create|list|revoke`: keys stored hashed in the database; the raw key is shown once."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.data.api_keys import SCOPES, ApiKeyInfo
from application.ports.api_keys import ApiKeyStore
from application.ports.clock import Clock
from infrastructure.container import build_container, close_resources
from infrastructure.settings import load_settings
from interfaces.cli import CommandFailed
from interfaces.cli.db import ensure_schema

T = TypeVar("T")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("api-keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key and print it (once)")
    create.add_argument("name", metavar="NAME", help="who uses the key; recorded as the actor in audits")
    create.add_argument(
        "--scope", dest="scopes", action="append", required=True, choices=SCOPES, help="repeat for several scopes"
    )
    create.set_defaults(handler=create_key)
    actions.add_parser("list", help="list keys (never the keys themselves)").set_defaults(handler=list_keys)
    revoke = actions.add_parser("revoke", help="revoke a key by name or id")
    revoke.add_argument("name_or_id", metavar="NAME_OR_ID")
    revoke.set_defaults(handler=revoke_key)


def create_key(args: argparse.Namespace) -> int:
    scopes = tuple(dict.fromkeys(args.scopes))  # keep the order, drop repeats
    try:
        info, raw_key = _run(lambda store, clock: store.create(args.name, scopes, clock.now()))
    except ValueError as refused:  # the name is taken (names stay unique, also after revocation)
        raise CommandFailed(str(refused)) from None
    print(f"Created API key {info.name} ({info.id}) with scopes {', '.join(info.scopes)}.")
    print("Store it now: it is shown only this once.")
    print(raw_key, flush=True)
    return 0


def list_keys(args: argparse.Namespace) -> int:
    keys: list[ApiKeyInfo] = _run(lambda store, clock: store.list())
    if not keys:
        print("No API keys.")
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        created = f"{key.created_at:%Y-%m-%d %H:%M}"
        print(f"{key.id}  {key.name}  {key.prefix}…  {','.join(key.scopes)}  created {created}  {state}")
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    if not _run(lambda store, clock: store.revoke(args.name_or_id, clock.now())):
        raise CommandFailed(f"no active API key named or with id {args.name_or_id}")
    print(f"Revoked {args.name_or_id}.")
    return 0


def _run(work: Callable[[ApiKeyStore, Clock], Awaitable[T]]) -> T:
    """Runs `work` against the configured store, then closes what the container opened."""
    settings = load_settings()
    ensure_schema(settings)

    async def run() -> T:
        container = build_container(settings)
        try:
            return await work(container.api_keys(), container.clock())
        finally:
            await close_resources(container)

    return asyncio.run(run())
