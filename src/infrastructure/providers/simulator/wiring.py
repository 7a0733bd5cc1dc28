"""The simulator adapter from its configuration."""

from __future__ import annotations

from collections.abc import Mapping

from infrastructure.providers.plugin import ProviderContext
from infrastructure.providers.simulator.adapter import SimulatorPaymentProvider
from infrastructure.providers.simulator.config import SimulatorConfig, read_config
from infrastructure.providers.simulator.wire import PROVIDER


def build(config: SimulatorConfig, context: ProviderContext) -> SimulatorPaymentProvider:
    return SimulatorPaymentProvider(
        context.public_url, config.webhook_secrets, config.settle_delay_seconds, context.http, context.clock
    )


def shared_simulator(configs: Mapping[str, object], context: ProviderContext) -> SimulatorPaymentProvider:
    """The container's one simulator, which the registry and the simulator's pages share (its refund settlements
    are tasks that shutdown cancels). Configured as settings say, or as an empty environment would configure it."""
    config = configs.get(PROVIDER)
    if not isinstance(config, SimulatorConfig):
        config = read_config({})[0]
    return build(config, context)
