"""Run the janitor once, now (POST /api/v1/reconciliation/runs), and report what it checked and changed."""

from __future__ import annotations

from dataclasses import dataclass

from application.messages import Command
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.janitor_store import JanitorStore
from application.ports.payment_provider import PaymentProviders
from application.ports.unit_of_work import UnitOfWork
from application.worker.run_janitor import Janitor, JanitorReport


@dataclass(frozen=True, slots=True)
class RunJanitor(Command[JanitorReport]):
    actor: str | None = None  # the admin key's name, or None for the worker's scheduled pass


class RunJanitorHandler:
    def __init__(
        self, uow: UnitOfWork, providers: PaymentProviders, store: JanitorStore, clock: Clock, ids: IdGenerator
    ) -> None:
        self._janitor = Janitor(uow, providers, store, clock, ids)

    async def __call__(self, cmd: RunJanitor) -> JanitorReport:
        return await self._janitor.run(cmd.actor)
