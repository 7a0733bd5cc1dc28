"""Every command and query has exactly one handler, and every handler builds from the composition code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import application.commands
import application.queries
import application.worker
from application.messages import Command, Message, Query
from application.ports.unit_of_work import UnitOfWork
from infrastructure.messaging.handlers import HANDLERS
from tests.unit.fake_notifications import FakeNotificationStore
from tests.unit.fakes import (
    FakeProvider,
    FakeProviders,
    FakeStore,
    FakeUnitOfWork,
    fake_root,
)


def defined_messages() -> set[type[Message[Any]]]:
    """Every Command and Query subclass defined in a module under application.commands, .queries and .worker."""
    found: set[type[Message[Any]]] = set()
    for package in (application.commands, application.queries, application.worker):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            found |= {
                obj
                for _, obj in inspect.getmembers(module, inspect.isclass)
                if obj.__module__ == module.__name__ and issubclass(obj, (Command, Query))
            }
    return found


MESSAGES = sorted(defined_messages(), key=lambda t: t.__name__)


def test_messages_are_discovered() -> None:
    names = {m.__name__ for m in MESSAGES}
    assert {"CheckoutOrder", "RefundPayment", "HandleProviderWebhook", "GetPayment", "ListTransactions"} <= names


def test_every_command_and_query_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == set(MESSAGES)  # none missing, none registered that is not a message of ours
    handler_types = list(HANDLERS.values())
    assert len(handler_types) == len(set(handler_types))  # one handler class per message type


@pytest.mark.parametrize("message_type", MESSAGES, ids=lambda t: t.__name__)
def test_every_handler_resolves_through_the_composition_code(message_type: type[Message[Any]]) -> None:
    store = FakeStore()
    units: list[FakeUnitOfWork] = []

    def unit_of_work() -> UnitOfWork:
        units.append(FakeUnitOfWork(store))
        return units[-1]

    root = fake_root(
        store, FakeProviders(FakeProvider()), unit_of_work=unit_of_work, notification_store=FakeNotificationStore()
    )
    bus = root.bus()
    assert message_type in bus.message_types
    handler_type = HANDLERS[message_type]

    first, second = bus._resolve(handler_type), bus._resolve(handler_type)

    assert isinstance(first, handler_type)
    assert callable(first)
    if "uow" in inspect.signature(handler_type).parameters:  # each handler gets its own unit of work
        assert len(units) >= 2
        assert len({id(unit) for unit in units}) == len(units)
    assert first is not second
