"""Builds handlers from a plan made once per handler type, instead of asking punq on every message.

punq inspects the constructor (`inspect.getfullargspec`, type hints) on every `resolve`, which cost more CPU per
webhook than some SQL statements did. The registrations do not change after start-up, so the first resolve of a
handler type asks punq for each constructor argument once and remembers how to produce it: the same shared
instance each time, or a call to a factory (the unit of work, and any handler another handler depends on: both
hold per-request state and must never be shared between concurrent requests).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import punq

_Plan = tuple[tuple[str, Callable[[], Any]], ...]


class PlannedResolver:
    def __init__(
        self,
        container: punq.Container,
        factories: Mapping[type[Any], Callable[[], Any]],
        handler_types: Iterable[type[Any]],
    ) -> None:
        self._container, self._factories, self._handler_types = container, dict(factories), frozenset(handler_types)
        self._plans: dict[type[Any], _Plan] = {}

    def __call__(self, handler_type: type[Any], /) -> Any:
        plan = self._plans.get(handler_type)
        if plan is None:
            plan = self._plans[handler_type] = self._plan(handler_type)
        return handler_type(**{name: make() for name, make in plan})

    def _plan(self, handler_type: type[Any]) -> _Plan:
        hints = typing.get_type_hints(handler_type.__init__)
        plan: list[tuple[str, Callable[[], Any]]] = []
        for name, parameter in inspect.signature(handler_type.__init__).parameters.items():
            annotation = _optional_of(hints.get(name))
            if name == "self" or annotation is None:
                continue
            if annotation in self._factories:
                plan.append((name, self._factories[annotation]))
            elif annotation in self._handler_types:
                plan.append((name, functools.partial(self, annotation)))
            else:
                try:
                    instance = self._container.resolve(annotation)
                except punq.MissingDependencyError:
                    if parameter.default is inspect.Parameter.empty:
                        raise
                    continue  # not registered: the constructor's default applies, as with punq
                plan.append((name, _Shared(instance)))
        return tuple(plan)


def _optional_of(annotation: Any) -> Any:
    """`Port | None` asks for Port when it is registered (the constructor's default otherwise): optional ports
    such as the broker publisher are simply not registered when not configured."""
    arguments = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) and len(arguments) == 2 and type(None) in arguments:
        return next(argument for argument in arguments if argument is not type(None))
    return annotation


class _Shared:
    """A factory that always hands out the same instance (a singleton registered with punq)."""

    def __init__(self, instance: Any) -> None:
        self._instance = instance

    def __call__(self) -> Any:
        return self._instance
