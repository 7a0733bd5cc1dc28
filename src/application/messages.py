"""Commands change state, queries read it; each names the type of its result so `MessageBus.send` is typed."""

from typing import Generic, TypeVar

R = TypeVar("R", covariant=True)


class Message(Generic[R]):
    """Anything the bus carries. Subclasses are frozen dataclasses."""


class Command(Message[R]):
    """Asks for a change; handled in a unit of work that commits explicitly."""


class Query(Message[R]):
    """Asks for a view; never changes state."""
