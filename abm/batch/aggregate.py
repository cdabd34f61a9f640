"""What a sweep reports per grid point, every estimate with its interval.

`aggregate_long` is the table of record: one row per (grid point, metric, statistic) with
the estimate, its interval, the method that made the interval, the number of runs it
rests on and the condition it holds under (the step the fund first ran dry is averaged
over the runs in which it did). `aggregate` pivots it into one wide row per grid point,
as `aggregate.parquet` keeps it: ``{metric}_{stat}`` with ``_lo``/``_hi`` beside it.
With ``by_market=True`` both work on the per-market runs (one row per run and market)
and give one row per grid point and market, by the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .metrics import MARKET_METRICS, METRICS

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
    by_market: bool = False,
) -> pd.DataFrame:
    """One row per grid point, metric and statistic (mean, p5, p50, p95, p99 and, for
    `fund_depleted`, the probability), with its interval and how it was made.

    With `by_market`, `runs` is the per-market table (`runs_markets.parquet`, a `market`
    column and `MARKET_METRICS`) and the rows are per grid point and market, the markets
    in the order they first appear; each bootstrap is seeded by (grid point, market's
    position, metric), so the per-market intervals are as reproducible as the totals'.
    """
    catalog = MARKET_METRICS if by_market else METRICS
    metrics = [m for m in catalog if m in runs.columns and m != "fund_depleted"]
    rows: list[dict[str, Any]] = []
    for point, group in runs.groupby("point", sort=True):
        head = {"point": int(point), **{c: group[c].iloc[0] for c in grid_columns}}
        if not by_market:
            rows.extend(
                _group_rows(group, head, metrics, catalog, [int(point)], level, proportion_method)
            )
            continue
        for k, market in enumerate(dict.fromkeys(group["market"])):
            cell = group[group["market"] == market]
            rows.extend(
                _group_rows(
                    cell, {**head, "market": market}, metrics, catalog, [int(point), k],
                    level, proportion_method,
                )
            )  # fmt: skip
    if not rows:
        keys = ["point", *grid_columns, *(["market"] if by_market else [])]
        return pd.DataFrame(columns=[*keys, "runs", *LONG_COLUMNS])
    return pd.DataFrame(rows)


def _group_rows(
    group: pd.DataFrame,
    head: dict[str, Any],
    metrics: Sequence[str],
    catalog: Sequence[str],
    seed: list[int],
    level: float,
    proportion_method: str,
) -> list[dict[str, Any]]:
    """The long rows of one group of runs: P(fund depleted), then each metric's mean and
    percentiles, the bootstrap seeded by `seed` and the metric's place in `catalog`."""
    head = {**head, "runs": len(group)}
    depleted = group["fund_depleted"].astype(bool).to_numpy()
    p = stats.proportion(int(depleted.sum()), depleted.size, level=level, method=proportion_method)
    rows = [{**head, **_long("fund_depleted", "probability", p)}]
    for m in metrics:
        values = group[m].to_numpy(dtype=float)
        condition = CONDITIONS.get(m, "")
        if condition:
            values = values[depleted]
        estimates = [
            ("mean", stats.mean(values, level=level)),
            *zip(
                (f"p{q}" for q in PERCENTILES),
                stats.quantiles(values, PERCENTILES, seed=[*seed, catalog.index(m)], level=level),
                strict=True,
            ),
        ]
        rows.extend({**head, **_long(m, s, i, condition)} for s, i in estimates)
    return rows


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
    by_market: bool = False,
) -> pd.DataFrame:
    """One row per grid point (and market, with `by_market`): ``runs``,
    ``p_fund_depleted``, ``var_95``, ``lar_95`` and ``{metric}_{mean,p5,p50,p95,p99}``,
    each followed by its ``_lo`` and ``_hi`` bounds; ``fund_depleted_step_*`` are over
    depleted runs only (``fund_depleted_step_n`` of them)."""
    long = aggregate_long(
        runs, grid_columns, level=level, proportion_method=proportion_method, by_market=by_market
    )
    return wide(long, grid_columns, by_market=by_market)


def wide(
    long: pd.DataFrame, grid_columns: Sequence[str] = (), *, by_market: bool = False
) -> pd.DataFrame:
    """The long table pivoted to one row per grid point (and market, in the long table's
    order, with `by_market`)."""
    out = []
    keys = ["point", "market"] if by_market else "point"
    for _, group in long.groupby(keys, sort=not by_market):
        first = group.iloc[0]
        row: dict[str, Any] = {"point": int(first["point"]), **{c: first[c] for c in grid_columns}}
        if by_market:
            row["market"] = first["market"]
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
