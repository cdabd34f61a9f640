"""Policy comparison on common random numbers: paired differences with intervals.

Every policy (a preset, a TOML file or a loaded scenario) runs on the same seeds, so run k
of one policy and run k of another see the same traders and the same price shocks, and
their difference is the policy's effect on that seed, not noise. Differences are taken
against the first policy (the baseline): for amounts the mean paired difference with its
Student t interval, for P(fund depleted) the difference of paired shares with Newcombe's
hybrid score interval. A difference is significant when its interval excludes zero.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenarios import load_scenario
from . import stats
from .sweep import run_sweep, seed_list

COMPARE_METRICS = {
    "bad_debt": "bad debt",
    "uncovered_bad_debt": "bad debt the fund did not cover",
    "max_drawdown": "largest fall of the fund from its peak (share)",
    "fund_depleted": "P(fund depleted)",
    "lp_loss": "bad debt written off by the LP vault",
    "adl_volume": "notional closed by auto-deleveraging",
    "trader_losses": "bad debt borne by traders (ADL and socialised haircuts)",
}
"""What a comparison reports, in this order."""


def trader_losses(runs: pd.DataFrame) -> pd.Series:
    """Bad debt that traders paid for: profit given up to ADL plus socialised haircuts."""
    return runs["adl_covered"].astype(float) + runs["socialized_loss"].astype(float)


@dataclass
class Comparison:
    table: pd.DataFrame
    """One row per policy (after the baseline) and metric: both means, the paired
    difference (policy - baseline) with its interval, method and significance."""
    runs: dict[str, pd.DataFrame]
    """Each policy's runs, one row per seed."""
    seeds: list[int]


def _name(policy: Any, index: int) -> str:
    label = policy if isinstance(policy, str) else getattr(policy, "name", "") or "scenario"
    return f"{index}:{Path(str(label)).stem}" if isinstance(label, str) else f"{index}"


def compare(
    policies: Sequence[Any],
    *,
    seeds: int | Sequence[int] = 30,
    steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: Any = None,
) -> Comparison:
    """Run every policy on the same seeds; compare each with the first.

    `overrides` apply to every policy (e.g. a smaller market for a quick look). With
    `out`, each policy's runs are a sweep folder under ``out/`` (resumable) and the table
    is written to ``out/compare.csv``.
    """
    if len(policies) < 2:
        raise ValueError(f"compare needs at least two policies, got {len(policies)}")
    base = load_scenario(
        policies[0], {**(overrides or {}), **({"run.steps": steps} if steps else {})}
    )
    seed_ids = seed_list(seeds, base.run.seed)
    names = [_name(p, i) for i, p in enumerate(policies)]
    runs: dict[str, pd.DataFrame] = {}
    for name, policy in zip(names, policies, strict=True):
        folder = None if out is None else Path(out) / name.replace(":", "-")
        result = run_sweep(
            policy,
            seeds=seed_ids,
            steps=steps,
            overrides=overrides,
            workers=workers,
            dask=dask,
            out=folder,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            by_market=False,  # the paired differences are of the totals
        )
        frame = result.runs.set_index("seed").sort_index()
        frame["trader_losses"] = trader_losses(frame)
        runs[name] = frame
    rows = []
    baseline = runs[names[0]]
    for name in names[1:]:
        rows.extend(_paired_rows(names[0], baseline, name, runs[name]))
    table = pd.DataFrame(rows)
    if out is not None:
        from .io import write_csv

        write_csv(table, Path(out) / "compare.csv")
    return Comparison(table=table, runs=runs, seeds=seed_ids)


def _paired_rows(base_name: str, a: pd.DataFrame, name: str, b: pd.DataFrame) -> list[dict]:
    rows = []
    for metric, meaning in COMPARE_METRICS.items():
        x = a[metric].to_numpy(dtype=float)
        y = b[metric].to_numpy(dtype=float)
        if metric == "fund_depleted":
            d = stats.paired_proportion_difference(x.astype(bool), y.astype(bool))
        else:
            d = stats.mean(y - x)
        rows.append(
            {
                "policy": name,
                "baseline": base_name,
                "metric": metric,
                "meaning": meaning,
                "baseline_mean": float(np.mean(x)),
                "policy_mean": float(np.mean(y)),
                "difference": d.estimate,
                "lo": d.lo,
                "hi": d.hi,
                "level": d.level,
                "method": d.method,
                "pairs": d.n,
                "significant": bool(d.excludes(0.0)),
            }
        )
    return rows
