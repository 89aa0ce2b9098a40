"""Figures and how they are timed: medians of repeated runs, each beside its baseline."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# How a figure meets its target: its value or its ratio, at most or at least a bound.
TARGET_KINDS = ("value_max", "value_min", "ratio_max", "ratio_min")


@dataclass
class Figure:
    """One number the run reports, with the baseline measured beside it in the same run.

    `ratio` is value / baseline: for times "how many times the floor", for rates "which
    share of the bare rate".
    """

    key: str
    label: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str | None = None
    target_kind: str | None = None
    target: float | None = None
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target_kind is None or self.target is None:
            return None
        subject = self.ratio if self.target_kind.startswith("ratio") else self.value
        if subject is None or math.isnan(subject):
            return None
        return subject <= self.target if self.target_kind.endswith("max") else (
            subject >= self.target)

    @property
    def target_text(self) -> str:
        if self.target_kind is None or self.target is None:
            return "—"
        sign = "≤" if self.target_kind.endswith("max") else "≥"
        if self.target_kind.startswith("ratio"):
            return f"{sign} {self.target:g}×"
        return f"{sign} {fmt(self.target)} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, met=self.met, target_text=self.target_text)
        return data


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
