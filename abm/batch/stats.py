"""Intervals for what a sweep aggregates: every estimate carries its uncertainty.

Three methods, each named in the tables that use it:

* proportions (P(fund depleted)): the Wilson score interval (``wilson``) or the exact
  Clopper-Pearson interval (``exact``), from `scipy.stats.binomtest`;
* means: the Student t interval (``t``) on the standard error of the mean;
* quantiles (p5 ... p99, VaR, LaR): the percentile bootstrap (``bootstrap``) with a
  seeded generator, so the same runs give the same interval bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
RESAMPLES = 2000
PROPORTION_METHODS = ("wilson", "exact")


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided interval at `level`, computed by `method`."""

    estimate: float
    lo: float
    hi: float
    method: str
    n: int
    level: float = LEVEL

    def excludes(self, value: float) -> bool:
        return value < self.lo or value > self.hi


NAN_INTERVAL = (math.nan, math.nan)


def proportion(k: int, n: int, *, level: float = LEVEL, method: str = "wilson") -> Interval:
    """`k` successes in `n` trials: the share with its Wilson or Clopper-Pearson interval."""
    if method not in PROPORTION_METHODS:
        raise ValueError(f"method must be one of {PROPORTION_METHODS}, got {method!r}")
    if n < 1:
        return Interval(math.nan, *NAN_INTERVAL, method, 0, level)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method=method)
    return Interval(k / n, float(ci.low), float(ci.high), method, int(n), level)


def mean(values: Sequence[float], *, level: float = LEVEL) -> Interval:
    """The mean with its Student t interval (a point when every value is the same)."""
    x = _finite(values)
    if x.size == 0:
        return Interval(math.nan, *NAN_INTERVAL, "t", 0, level)
    m = float(x.mean())
    if x.size == 1:
        return Interval(m, *NAN_INTERVAL, "t", 1, level)
    sem = float(stats.sem(x))
    if sem == 0.0:
        return Interval(m, m, m, "t", int(x.size), level)
    lo, hi = stats.t.interval(level, x.size - 1, loc=m, scale=sem)
    return Interval(m, float(lo), float(hi), "t", int(x.size), level)


def quantiles(
    values: Sequence[float],
    qs: Sequence[float],
    *,
    seed: int | Sequence[int] = 0,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
) -> list[Interval]:
    """Percentiles `qs` (0-100) of `values`, each with a percentile-bootstrap interval.

    `seed` (an int or a sequence of ints) seeds the resampling: the same values and
    seed give the same intervals.
    """
    x = _finite(values)
    if x.size == 0:
        return [Interval(math.nan, *NAN_INTERVAL, "bootstrap", 0, level) for _ in qs]
    est = np.percentile(x, qs)
    if x.size == 1 or np.all(x == x[0]):
        return [
            Interval(float(e), float(e), float(e), "bootstrap", int(x.size), level) for e in est
        ]
    res = stats.bootstrap(
        (x,),
        lambda a, axis: np.percentile(a, qs, axis=axis),
        vectorized=True,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    lo, hi = res.confidence_interval
    return [
        Interval(float(e), float(a), float(b), "bootstrap", int(x.size), level)
        for e, a, b in zip(est, lo, hi, strict=True)
    ]


def paired_proportion_difference(
    a: Sequence[bool], b: Sequence[bool], *, level: float = LEVEL
) -> Interval:
    """P(b) - P(a) on paired yes/no outcomes, with Newcombe's hybrid score interval
    (Newcombe 1998, method 10: Wilson intervals of each share, corrected for the pairing)."""
    x = np.asarray(a, dtype=bool)
    y = np.asarray(b, dtype=bool)
    n = x.size
    if n == 0:
        return Interval(math.nan, *NAN_INTERVAL, "newcombe", 0, level)
    p1, p2 = x.mean(), y.mean()
    w1 = proportion(int(x.sum()), n, level=level)
    w2 = proportion(int(y.sum()), n, level=level)
    both, only_a = int((x & y).sum()), int((x & ~y).sum())
    only_b, neither = int((~x & y).sum()), int((~x & ~y).sum())
    denom = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = (both * neither - only_a * only_b) / math.sqrt(denom) if denom > 0 else 0.0
    d = p2 - p1
    lo = d - math.sqrt(
        max(0.0, (p2 - w2.lo) ** 2 - 2 * phi * (p2 - w2.lo) * (w1.hi - p1) + (w1.hi - p1) ** 2)
    )
    hi = d + math.sqrt(
        max(0.0, (w2.hi - p2) ** 2 - 2 * phi * (w2.hi - p2) * (p1 - w1.lo) + (p1 - w1.lo) ** 2)
    )
    return Interval(float(d), float(lo), float(hi), "newcombe", n, level)


def _finite(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]
