"""`payments …`: parses the command line and runs one command.

Exit codes: 0 done, 1 the command failed (e.g. nothing to revoke), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys

from infrastructure.settings import SettingsError
from interfaces.cli import CommandFailed, api_keys, db, serve, webhook_events, worker


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payments",
        description="Payment-integration service: hosted checkout, verified webhooks, refunds, signed callbacks.",
        epilog="Configuration comes from PAYMENTS_* environment variables and ./.env.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.add_parser(commands)
    worker.add_parser(commands)
    db.add_parser(commands)
    api_keys.add_parser(commands)
    events = commands.add_parser("webhook-events", help="replay received provider webhook events")
    event_commands = events.add_subparsers(dest="action", metavar="ACTION", required=True)
    replay = event_commands.add_parser("replay", help="reprocess one received event through the webhook path")
    replay.add_argument("id", metavar="ID", help="the event's id (whe_…)")
    replay.add_argument("--actor", help="the name recorded in the audit trail (default: cli:<user>)")
    replay.set_defaults(handler=webhook_events.replay)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help and usage errors; returned so main() is testable in-process
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 2
    try:
        code: int = args.handler(args)
    except SettingsError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    except CommandFailed as error:
        print(error, file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
