"""What the worker's jobs are told by configuration (filled from settings by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class CallbackRouting:
    """Order callbacks are `enabled` only with a signing secret (PAYMENTS_CALLBACK_SECRET): one could never be
    signed without it, so none is created. `default_url` (PAYMENTS_ORDER_CALLBACK_URL) serves payments whose
    checkout named no `callback_url`."""

    enabled: bool = False
    default_url: str | None = None


@dataclass(frozen=True, slots=True)
class WorkerLeases:
    """How long a worker owns a row it claimed (PAYMENTS_WORKER_LEASE_SECONDS) before another may take it: longer
    than a callback's timeout, so a live worker is never overtaken; short enough that a killed one's rows return
    soon."""

    duration: timedelta = DEFAULT_LEASE


@dataclass(frozen=True, slots=True)
class PaidAfterCancel:
    """PAYMENTS_REFUND_PAID_AFTER_CANCEL: refund in full, automatically, a payment the provider took after we had
    cancelled or expired it (the order system called the order off: it does not expect the money)."""

    refund: bool = False
