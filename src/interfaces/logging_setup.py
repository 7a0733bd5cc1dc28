"""Process-wide logging: JSON lines in production, readable lines in development, each with the request id.

Called once per process (the CLI, and every uvicorn worker through `create_app_from_env`). Secrets never reach
a record in the first place: API keys, signatures and webhook bodies are not passed to loggers.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from interfaces.http.request_context import install_log_context

_CONSOLE = "%(asctime)s %(levelname)-7s %(name)s [request_id=%(request_id)s] %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "trace_id": getattr(record, "trace_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(_CONSOLE))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    install_log_context(root)
