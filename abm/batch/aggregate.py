"""What a sweep reports per grid point, every estimate with its interval.

`aggregate_long` is the table of record: one row per (grid point, metric, statistic) with
the estimate, its interval, the method that made the interval, the number of runs it
rests on and the condition it holds under (the step the fund first ran dry is averaged
over the runs in which it did). `aggregate` pivots it into one wide row per grid point,
as `aggregate.parquet` keeps it: ``{metric}_{stat}`` with ``_lo``/``_hi`` beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .metrics import METRICS

PERCENTILES = (5, 50, 95, 99)
CONDITIONS = {"fund_depleted_step": "fund depleted"}
"""Metrics defined only in some runs, and the runs their statistics are taken over."""
ALIASES = {"var_95": ("uncovered_bad_debt", "p95"), "lar_95": ("liquidation_volume", "p95")}
"""Gauntlet's VaR (95th percentile of bad debt the fund did not cover) and LaR (95th
percentile of liquidated notional), under their own names."""
LONG_COLUMNS = ("metric", "statistic", "estimate", "lo", "hi", "level", "method", "n", "condition")


def methods(level: float = stats.LEVEL, proportion_method: str = "wilson") -> dict[str, Any]:
    """How the intervals were made, as `sweep.json` records it."""
    return {
        "level": level,
        "proportion": proportion_method,
        "mean": "t",
        "quantile": f"bootstrap (percentile, {stats.RESAMPLES} resamples, seeded by grid point)",
        "conditional": {m: f"over runs with {c}" for m, c in CONDITIONS.items()},
    }


def aggregate_long(
    runs: pd.DataFrame,
    grid_columns: Sequence[str] = (),
    *,
    level: float = stats.LEVEL,
    proportion_method: str = "wilson",
) -> pd.DataFrame:
    """One row per grid point, metric and statistic (mean, p5, p50, p95, p99 and, for
    `fund_depleted`, the probability), with its interval and how it was made."""
    metrics = [m for m in METRICS if m in runs.columns and m != "fund_depleted"]
    rows: list[dict[str, Any]] = []
    for point, group in runs.groupby("point", sort=True):
        head = {"point": int(point), **{c: group[c].iloc[0] for c in grid_columns}}
        head["runs"] = len(group)
        depleted = group["fund_depleted"].astype(bool).to_numpy()
        p = stats.proportion(
            int(depleted.sum()), depleted.size, level=level, method=proportion_method
        )
        rows.append({**head, **_long("fund_depleted", "probability", p)})
        for m in metrics:
            values = group[m].to_numpy(dtype=float)
            condition = CONDITIONS.get(m, "")
            if condition:
                values = values[depleted]
            seed = [int(point), METRICS.index(m)]
            estimates = [
                ("mean", stats.mean(values, level=level)),
                *zip(
                    (f"p{q}" for q in PERCENTILES),
                    stats.quantiles(values, PERCENTILES, seed=seed, level=level),
                    strict=True,
                ),
            ]
            rows.extend({**head, **_long(m, s, i, condition)} for s, i in estimates)
    if not rows:
        return pd.DataFrame(columns=["point", *grid_columns, "runs", *LONG_COLUMNS])
    return pd.DataFrame(rows)


def _long(metric: str, statistic: str, i: stats.Interval, condition: str = "") -> dict[str, Any]:
    return {
        "metric": metric,
        "statistic": statistic,
        "estimate": i.estimate,
        "lo": i.lo,
        "hi": i.hi,
        "level": i.level,
        "method": i.method,
        "n": i.n,
        "condition": condition,
    }


def aggregate(
    runs: pd.DataFrame,
    grid_columns: Sequence[str] = (),
    *,
    level: float = stats.LEVEL,
    proportion_method: str = "wilson",
) -> pd.DataFrame:
    """One row per grid point: ``runs``, ``p_fund_depleted``, ``var_95``, ``lar_95`` and
    ``{metric}_{mean,p5,p50,p95,p99}``, each followed by its ``_lo`` and ``_hi`` bounds;
    ``fund_depleted_step_*`` are over depleted runs only (``fund_depleted_step_n`` of them)."""
    return wide(
        aggregate_long(runs, grid_columns, level=level, proportion_method=proportion_method),
        grid_columns,
    )


def wide(long: pd.DataFrame, grid_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The long table pivoted to one row per grid point."""
    out = []
    for point, group in long.groupby("point", sort=True):
        first = group.iloc[0]
        row: dict[str, Any] = {"point": int(point), **{c: first[c] for c in grid_columns}}
        row["runs"] = int(first["runs"])
        cells = {(r.metric, r.statistic): r for r in group.itertuples(index=False)}
        named = {"p_fund_depleted": ("fund_depleted", "probability"), **ALIASES}
        for name, key in named.items():
            _put(row, name, cells.get(key))
        for (metric, statistic), r in cells.items():
            if statistic != "probability":
                _put(row, f"{metric}_{statistic}", r)
        for metric in CONDITIONS:
            if (metric, "mean") in cells:
                row[f"{metric}_n"] = int(cells[(metric, "mean")].n)
        out.append(row)
    return pd.DataFrame(out)


def _put(row: dict[str, Any], name: str, r: Any) -> None:
    row[name] = float(r.estimate) if r is not None else np.nan
    row[f"{name}_lo"] = float(r.lo) if r is not None else np.nan
    row[f"{name}_hi"] = float(r.hi) if r is not None else np.nan
