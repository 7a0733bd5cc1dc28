"""The simulator as the rest of the service sees it."""

from __future__ import annotations

from application.ports.payment_provider import PaymentProvider
from infrastructure.providers.plugin import ProviderContext, ProviderPlugin
from infrastructure.providers.simulator.config import SimulatorConfig, local_problems, read_config


def _build(config: SimulatorConfig, context: ProviderContext) -> PaymentProvider:
    from infrastructure.providers.simulator.wiring import build

    return build(config, context)


PLUGIN = ProviderPlugin[SimulatorConfig](
    name="simulator",
    read_config=read_config,
    required={},
    build=_build,
    api_bases=lambda config: {},  # it calls no one but this service
    secrets=lambda config: config.webhook_secrets,
    signature_headers=("simulator-signature",),
    secret_prefixes=("whsec_sim_",),
    local_problems=local_problems,
)
