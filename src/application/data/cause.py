"""Who or what caused a change; stored with every audit row the change writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["api", "webhook", "worker", "admin"]


@dataclass(frozen=True, slots=True)
class Cause:
    source: Source
    actor: str | None = None
    provider_event_id: str | None = None
