"""`payments webhook-events replay ID`: reprocess one stored provider event through the webhook path."""

from __future__ import annotations

import argparse
import asyncio
import getpass

from application.commands.replay_webhook_event import ReplayWebhookEvent
from application.data.webhook_events import StoredWebhook
from application.errors import WebhookEventNotFound
from infrastructure.container import build_container, close_resources
from infrastructure.settings import load_settings
from interfaces.cli import CommandFailed
from interfaces.cli.db import ensure_schema


def replay(args: argparse.Namespace) -> int:
    settings = load_settings()
    ensure_schema(settings)
    actor = args.actor or f"cli:{_user()}"

    async def run() -> StoredWebhook:
        container = build_container(settings)
        try:
            return await container.bus().send(ReplayWebhookEvent(args.id, actor=actor))
        finally:
            await close_resources(container)

    try:
        event = asyncio.run(run())
    except WebhookEventNotFound as missing:
        raise CommandFailed(str(missing)) from None
    because = f": {event.reason}" if event.reason else ""
    print(f"Replayed {event.id} ({event.provider} {event.event_type} {event.event_id}) as {actor}.")
    print(f"Status {event.status.value}{because}")
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "operator"
