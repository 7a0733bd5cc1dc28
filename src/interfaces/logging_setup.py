"""Process-wide logging: JSON lines in production, readable key=value lines in development, each with the
request id (and the trace id when the caller sent `traceparent`).

Called once per process (the CLI, and every uvicorn worker through `create_app_from_env`). Secrets never reach
a record in the first place: API keys, signatures, headers and webhook bodies are not passed to loggers. Both
formatters still run every message, exception and extra field through `log_redaction` (e-mail addresses
masked; named and prefixed secrets and this process's configured secrets redacted), as a second line of
defence, and escape control characters in them, so that a record is one line whatever a request carried (a
traceback keeps its own line breaks).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from interfaces.http.request_context import install_log_context
from interfaces.log_redaction import RedactionRules, escape_controls

_CONSOLE = "%(asctime)s %(levelname)-7s %(name)s [request_id=%(request_id)s] %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=` and is printed as a field
# (uvicorn's `color_message` is its message again, with terminal colour codes).
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "trace_id",
    "color_message",
}
# Libraries that log every outgoing HTTP call at INFO; our code logs the outcomes that matter. At `debug` they
# speak again.
_CHATTY_LOGGERS = ("httpx", "httpcore", "stripe")


_ENCODER = msgspec.json.Encoder(enc_hook=str)  # anything msgspec cannot encode is printed as str() (redacted before)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: at, level, logger, message, request_id, trace_id, extra fields, exception."""

    def __init__(self, rules: RedactionRules | None = None) -> None:
        super().__init__()
        self.rules = rules or RedactionRules()

    def format(self, record: logging.LogRecord) -> str:
        rules = self.rules
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": escape_controls(rules.redact(record.getMessage())),
            "request_id": getattr(record, "request_id", None),
            "trace_id": getattr(record, "trace_id", None),
        }
        for key, value in extra_fields(record).items():
            line.setdefault(key, _escaped(rules.redact_value(key, value)))
        if record.exc_info:
            line["exception"] = escape_controls(rules.redact(self.formatException(record.exc_info)), keep_newlines=True)
        if record.stack_info:
            line["stack"] = escape_controls(rules.redact(self.formatStack(record.stack_info)), keep_newlines=True)
        return _ENCODER.encode(line).decode()


class ConsoleFormatter(logging.Formatter):
    """`time LEVEL logger [request_id=…] message key=value …` on one line (a traceback follows on its own)."""

    def __init__(self, rules: RedactionRules | None = None) -> None:
        super().__init__(_CONSOLE)
        self.rules = rules or RedactionRules()

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        trace_id = getattr(record, "trace_id", None)
        fields = {"trace_id": trace_id} if trace_id else {}
        fields.update(extra_fields(record))
        redact_value = self.rules.redact_value
        line = text + "".join(f" {key}={_console_value(redact_value(key, value))}" for key, value in fields.items())
        return escape_controls(line)  # the record's line stays one line, whatever a request put in it

    def formatException(self, ei: Any) -> str:
        return escape_controls(super().formatException(ei), keep_newlines=True)

    def formatStack(self, stack_info: str) -> str:
        return escape_controls(super().formatStack(stack_info), keep_newlines=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.rules.redact(super().format(record))


def _console_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if not text or any(c.isspace() or c in "\"'=" for c in text) else text


def _escaped(value: Any) -> Any:
    """A JSON field's value with control characters escaped in every string it holds (JSON would carry them
    as `\\u0000`, which a reader's `jq -r` turns back into the raw byte)."""
    if isinstance(value, str):
        return escape_controls(value)
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def configure_logging(level: str, log_format: str, *, secrets: Iterable[str] = ()) -> None:
    """`secrets`: this process's configured secret values (`log_redaction.configured_secrets(settings)`)."""
    rules = RedactionRules(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(rules) if log_format == "json" else ConsoleFormatter(rules))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
    install_log_context(root)
