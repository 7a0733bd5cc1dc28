"""Several rounds of the same scenarios and ceilings, combined: one slow minute on a shared host must not decide.

Each round measures every scenario and, minutes apart at most, the ceiling it is compared with, so each round
gives its own ratio (scenario / ceiling). The report keeps every round and, per scenario, the MEDIAN of its
ratios with their spread (lowest and highest), and the median of each latency figure across rounds; targets are
judged on those medians. Errors are summed: one wrong answer in any round fails the run.
"""

from __future__ import annotations

from statistics import median
from typing import Any

_FIGURES = ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The scenarios of `rounds` (each already judged, so each result carries its round's `fraction`)."""
    combined: dict[str, Any] = {}
    names = dict.fromkeys(name for one in rounds for name in one["scenarios"])
    for name in names:
        results = [one["scenarios"][name] for one in rounds if name in one["scenarios"]]
        merged = dict(results[len(results) // 2])  # labels, notes, concurrency: the same in every round
        for figure in _FIGURES:
            merged[figure] = round(median(result[figure] for result in results), 2)
        merged["errors"] = sum(result["errors"] for result in results)
        merged["error_samples"] = [sample for result in results for sample in result.get("error_samples", [])]
        merged["sent_total"] = sum(result.get("sent_total", 0) for result in results)
        if "by_label" in merged:
            merged["by_label"] = _labels(results)
        fractions = [result["fraction"] for result in results if result.get("fraction") is not None]
        if fractions:
            merged["fraction"] = round(median(fractions), 3)
            merged["fraction_spread"] = [min(fractions), max(fractions)]
            merged["round_fractions"] = fractions
        merged["rounds"] = len(results)
        combined[name] = merged
    return combined


def _labels(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    labels = dict.fromkeys(label for result in results for label in result["by_label"])
    return {
        label: {"p99_ms": round(median(r["by_label"][label]["p99_ms"] for r in results if label in r["by_label"]), 2)}
        for label in labels
    }


def last_rss(rounds: list[dict[str, Any]]) -> float | None:
    """The service's resident memory after its last round: what a long run leaves behind."""
    found = [one["rss_mb"] for one in rounds if one.get("rss_mb") is not None]
    return found[-1] if found else None
