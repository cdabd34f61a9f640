"""Global sensitivity of the fund's outcomes to a list of parameters (SALib).

Morris elementary-effects screening (``mu_star``: the mean absolute effect of moving one
parameter across its range, with its bootstrap interval, and ``sigma``: how much that
effect depends on the others) or Sobol variance indices (``S1`` first order, ``ST``
total, each with its bootstrap interval). The sample points run as one sweep on common
seeds, so the indices measure the parameters, not seed noise; each point's outcome is the
mean over its seeds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .stats import LEVEL
from .sweep import run_sweep

METHODS = ("morris", "sobol")
DEFAULT_METRICS = ("min_fund", "max_drawdown", "uncovered_bad_debt", "fund_depleted")
MORRIS_LEVELS = 4


def parse_ranges(assignments: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``["exchange.penalty_rate=0.005:0.03"]`` to ``{"exchange.penalty_rate": (0.005, 0.03)}``."""
    out: dict[str, tuple[float, float]] = {}
    for text in assignments:
        path, sep, span = text.partition("=")
        lo, colon, hi = span.partition(":")
        try:
            bounds = (float(lo), float(hi))
        except ValueError:
            bounds = None
        if not sep or not colon or bounds is None or not bounds[0] < bounds[1]:
            raise ValueError(f"--param must read PATH=LOW:HIGH with LOW < HIGH, got {text!r}")
        if path in out:
            raise ValueError(f"--param {path} is given twice")
        out[path] = bounds
    if not out:
        raise ValueError("sensitivity needs at least one --param PATH=LOW:HIGH")
    return out


@dataclass
class Sensitivity:
    method: str
    indices: pd.DataFrame
    """One row per (metric, parameter): the method's indices and their intervals."""
    samples: pd.DataFrame
    """The sampled parameter values and each point's mean outcome."""


def sensitivity(
    scenario: Any,
    ranges: Mapping[str, tuple[float, float]],
    *,
    method: str = "morris",
    samples: int = 10,
    seeds: int = 2,
    metrics: Sequence[str] | None = None,
    steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    seed: int = 0,
    progress: Any = None,
) -> Sensitivity:
    """Sample `ranges` by `method` (`samples` Morris trajectories, or Sobol base samples,
    a power of 2), run every point on `seeds` common seeds and analyse `metrics`."""
    metrics = list(metrics or DEFAULT_METRICS)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    problem = {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [list(b) for b in ranges.values()],
    }
    if method == "morris":
        from SALib.sample import morris as sampler

        x = sampler.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import sobol as sampler

        x = sampler.sample(problem, samples, calc_second_order=False, seed=seed)
    points = [dict(zip(ranges, map(float, row), strict=True)) for row in x]
    result = run_sweep(
        scenario,
        points=points,
        seeds=seeds,
        steps=steps,
        overrides=overrides,
        workers=workers,
        dask=dask,
        out=out,
        resume=resume,
        progress=progress,
        by_market=False,  # the indices are of the totals
    )
    means = result.runs.groupby("point")[list(metrics)].mean(numeric_only=False).astype(float)
    table = pd.DataFrame(x, columns=list(ranges))
    table = pd.concat([table, means.reset_index(drop=True)], axis=1)
    rows = []
    for metric in metrics:
        y = means[metric].to_numpy(dtype=float)
        rows.extend(_analyse(method, problem, x, y, metric, seed))
    return Sensitivity(method, pd.DataFrame(rows), table)


def _analyse(method, problem, x, y, metric, seed) -> list[dict[str, Any]]:
    if np.all(y == y[0]):  # no outcome moved: every index is zero, nothing to resample
        zero = dict.fromkeys(
            ("mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf"), 0.0
        )
        keys = (
            ("mu_star", "mu_star_conf", "sigma")
            if method == "morris"
            else ("S1", "S1_conf", "ST", "ST_conf")
        )
        return [
            {"metric": metric, "parameter": p, **{k: zero[k] for k in keys}}
            for p in problem["names"]
        ]
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, x, y, num_levels=MORRIS_LEVELS, conf_level=LEVEL, seed=seed)
        keys = ("mu_star", "mu_star_conf", "sigma")
    else:
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=False, conf_level=LEVEL, seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    return [
        {"metric": metric, "parameter": p, **{k: float(si[k][i]) for k in keys}}
        for i, p in enumerate(problem["names"])
    ]
