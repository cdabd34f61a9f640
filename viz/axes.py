"""Axis ticks and their labels for money, percentages and counts: nice steps, a unit
chosen from the range (k, M), and never two ticks with the same label."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


@dataclass(frozen=True)
class Ticks:
    """Ticks of one axis; chart data are divided by `divisor` so the labels read `label()`."""

    values: tuple[float, ...]
    divisor: float
    suffix: str
    prefix: str = ""

    @property
    def step(self) -> float:
        return (self.values[1] - self.values[0]) if len(self.values) > 1 else 1.0

    def label(self, v: float) -> str:
        return f"{self.prefix}{_short(v / self.divisor, self.step / self.divisor)}{self.suffix}"

    @property
    def labels(self) -> list[str]:
        return [self.label(v) for v in self.values]

    @property
    def template(self) -> str:
        """ECharts' label template for data already divided by `divisor`."""
        return f"{self.prefix}{{value}}{self.suffix}"

    def scaled(self) -> tuple[float, float, float]:
        """(min, max, interval) in the divided units, for the chart's axis."""
        d = self.divisor
        return self.values[0] / d, self.values[-1] / d, self.step / d


def _short(x: float, step: float) -> str:
    """x with as many decimals as the tick step needs, trailing zeros dropped (as the
    chart prints a tick value)."""
    digits = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(step, 1)), 6)
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_ticks(lo: float, hi: float, n: int = 5, *, floor_zero: bool = False) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if floor_zero and lo >= 0:
        lo = 0.0
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.1, 1.0)
    ticks = MaxNLocator(n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    ticks = [float(t) for t in ticks if t <= hi + 1e-9 * abs(hi) or t == ticks[0]]
    while ticks[-1] < hi:
        ticks.append(ticks[-1] + (ticks[1] - ticks[0]))
    if floor_zero and lo >= 0:
        ticks = [t for t in ticks if t >= 0]
    return ticks


def money_ticks(lo: float, hi: float, *, floor_zero: bool = False) -> Ticks:
    """$0, $500, $1k, $1.5k ... over [lo, hi]: the unit from the largest tick."""
    values = nice_ticks(lo, hi, floor_zero=floor_zero)
    top = max(abs(values[0]), abs(values[-1]))
    divisor, suffix = next(((d, s) for d, s in SUFFIXES if top >= d), (1.0, ""))
    if divisor > 1 and (values[1] - values[0]) / divisor < 1e-3:
        divisor, suffix = 1.0, ""
    return Ticks(tuple(values), divisor, suffix, "$")


def percent_ticks(lo: float, hi: float) -> Ticks:
    """Fractions shown as percentages (data are multiplied by 100)."""
    values = nice_ticks(100 * lo, 100 * hi, floor_zero=True)
    return Ticks(tuple(v / 100 for v in values), 0.01, " %")


def count_ticks(hi: float) -> Ticks:
    values = nice_ticks(0.0, max(hi, 5.0), floor_zero=True)
    step = max(1.0, math.ceil(values[1] - values[0]))
    values = [step * i for i in range(math.ceil(values[-1] / step) + 1)]
    return Ticks(tuple(values), 1.0, "")


def finite_range(*arrays: Any) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0
    return float(vals.min()), float(vals.max())
