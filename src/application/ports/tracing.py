"""Tracing as the application sees it: carry a trace across the outbox to the worker, and continue it there.

A request's trace lives in the process that answered it; the worker picks its outbox rows and callbacks up later,
in another process. The W3C `traceparent` of the span in progress is stored with such work (`current`), and the
worker runs its part as a span under it (`continued`), so one trace follows a webhook from its delivery through
the transaction to the outbox relay and the order callback. The adapter is `infrastructure/tracing/`; with
tracing off (the default) it is `NO_TRACING`, which stores nothing and starts nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class Tracing(Protocol):
    def current(self) -> str | None:
        """The `traceparent` of the span in progress; None when nothing is traced."""
        ...

    def continued(self, name: str, traceparent: str | None) -> AbstractContextManager[None]:
        """Runs the block as a span named `name`, a child of `traceparent` (a new trace when None or invalid)."""
        ...


class NoTracing:
    """Tracing off: nothing is stored with work, nothing is started around it."""

    _NOTHING: AbstractContextManager[None] = nullcontext()

    def current(self) -> str | None:
        return None

    def continued(self, name: str, traceparent: str | None) -> AbstractContextManager[None]:
        return self._NOTHING


NO_TRACING: Tracing = NoTracing()
