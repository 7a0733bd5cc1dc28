"""The message bus: finds the one handler for a message's type and runs it.

It knows types, not libraries: the handler table is data and building handlers is the resolver's job
(punq in infrastructure, or a dict of fakes in tests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from application.messages import Message

R = TypeVar("R")

Handler = Callable[[Any], Awaitable[Any]]


class HandlerResolver(Protocol):
    def __call__(self, handler_type: type[Any], /) -> Handler: ...


class NoHandler(LookupError):
    def __init__(self, message_type: type[Any]) -> None:
        super().__init__(f"no handler registered for {message_type.__name__}")


class MessageBus:
    def __init__(self, resolve: HandlerResolver, handlers: Mapping[type[Message[Any]], type[Any]]) -> None:
        self._resolve, self._handlers = resolve, dict(handlers)

    async def send(self, message: Message[R]) -> R:
        try:
            handler_type = self._handlers[type(message)]
        except KeyError:
            raise NoHandler(type(message)) from None
        handler = self._resolve(handler_type)
        result: R = await handler(message)
        return result

    @property
    def message_types(self) -> frozenset[type[Message[Any]]]:
        return frozenset(self._handlers)
