"""What the overview shows, shaped for its template: per-provider totals, the success rate, the hourly chart.

The chart is drawn here as plain numbers (bar positions and heights) so the template writes inline SVG with no
script and no style attribute (the CSP allows neither).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from application.data.reconciliation import MoneyGroup
from application.queries.payments_per_hour import HourlyCounts
from domain.payments.status import CALLED_OFF, PAID_STATUSES

_PAID = frozenset(s.value for s in PAID_STATUSES)
_CALLED_OFF = frozenset(s.value for s in CALLED_OFF)

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 720, 180, 8, 1


@dataclass(frozen=True, slots=True)
class ProviderTotals:
    provider: str
    count: int
    paid: int
    groups: tuple[MoneyGroup, ...]  # per status and currency


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    hour: str  # "14:00"
    tick: bool  # label this hour on the axis


@dataclass(frozen=True, slots=True)
class Chart:
    bars: tuple[Bar, ...]
    peak: int
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM


def provider_totals(groups: tuple[MoneyGroup, ...]) -> list[ProviderTotals]:
    by_provider: dict[str, list[MoneyGroup]] = defaultdict(list)
    for group in groups:
        by_provider[group.provider].append(group)
    return [
        ProviderTotals(
            provider,
            sum(g.count for g in rows),
            sum(g.count for g in rows if g.status in _PAID),
            tuple(sorted(rows, key=lambda g: (-g.count, g.status, g.currency))),
        )
        for provider, rows in sorted(by_provider.items())
    ]


def success_rate(groups: tuple[MoneyGroup, ...]) -> float | None:
    """Paid payments out of those that finished (paid, failed, expired or cancelled); None before any finished."""
    paid = sum(g.count for g in groups if g.status in _PAID)
    finished = paid + sum(g.count for g in groups if g.status in _CALLED_OFF)
    return None if finished == 0 else paid / finished


def chart(hourly: HourlyCounts) -> Chart:
    counts = hourly.counts
    peak = max(counts, default=0)
    slot = CHART_WIDTH / max(1, len(counts))
    usable = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for index, count in enumerate(counts):
        height = 0.0 if peak == 0 else max(1.0 if count else 0.0, usable * count / peak)
        hour = hourly.since + timedelta(hours=index)
        bars.append(
            Bar(
                x=round(index * slot + 2, 1),
                y=round(CHART_HEIGHT - CHART_BOTTOM - height, 1),
                width=round(slot - 4, 1),
                height=round(height, 1),
                count=count,
                hour=hour.strftime("%H:00"),
                tick=index % 6 == 0 or index == len(counts) - 1,
            )
        )
    return Chart(tuple(bars), peak, sum(counts))
