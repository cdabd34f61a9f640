"""Summary metrics of one run, computed from its time series (and, per market, from its
per-market table)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

WATERFALL_METRICS = (
    "fund_covered",
    "lp_loss",
    "adl_volume",
    "adl_covered",
    "socialized_loss",
    "unresolved_bad_debt",
)
GOVERNANCE_METRICS = ("proposals_passed", "proposals_failed", "treasury_injected")

METRICS = (
    "final_fund",
    "min_fund",
    "min_fund_to_oi",
    "max_drawdown",
    "bad_debt",
    *WATERFALL_METRICS,
    "uncovered_bad_debt",
    "liquidations",
    "liquidation_volume",
    "halted_steps",
    "final_treasury",
    "min_treasury",
    *GOVERNANCE_METRICS,
    "fund_depleted",
    "fund_depleted_step",
    "min_price_ratio",
    "final_price_ratio",
)
"""Every metric `summarize` can return; the governance ones only with governance columns."""

DESCRIPTIONS = {
    "final_fund": "insurance fund at the end",
    "min_fund": "lowest insurance fund",
    "min_fund_to_oi": "lowest fund / open interest",
    "max_drawdown": "largest fall of the fund from its peak (share)",
    "bad_debt": "bad debt: what closed positions still owed",
    "fund_covered": "... covered by the insurance fund",
    "lp_loss": "... written off by the LP vault",
    "adl_volume": "notional closed by auto-deleveraging",
    "adl_covered": "... covered by auto-deleveraging",
    "socialized_loss": "... charged to every open position",
    "unresolved_bad_debt": "... left unresolved (trading halted)",
    "uncovered_bad_debt": "bad debt the fund did not cover",
    "liquidations": "liquidations (count)",
    "liquidation_volume": "liquidated notional",
    "halted_steps": "steps with trading halted",
    "final_treasury": "treasury at the end",
    "min_treasury": "lowest treasury",
    "proposals_passed": "governance proposals executed",
    "proposals_failed": "governance proposals defeated or expired",
    "treasury_injected": "treasury money injected into the fund",
    "fund_depleted": "fund ran dry (1 = yes)",
    "fund_depleted_step": "first step the fund was empty",
    "min_price_ratio": "lowest price / starting price",
    "final_price_ratio": "final price / starting price",
}


def _last(ts: pd.DataFrame, col: str) -> float:
    return float(ts[col].iloc[-1]) if len(ts) else 0.0


def _nanmin(values: pd.Series) -> float:
    arr = values.to_numpy(dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(arr.min()) if arr.size else math.nan


def summarize(ts: pd.DataFrame, depleted_below: float = 1.0) -> dict[str, Any]:
    """The run's summary metrics from its per-step model columns (row 0 = before step 1).

    Waterfall and liquidation columns are cumulative in the model, so their final values
    are the run's totals. `fund_depleted_step` is the first step at which the fund held
    less than `depleted_below` (the fund's own "depleted" threshold), or None.
    """
    fund = ts["insurance_fund"].to_numpy(dtype=float)
    steps = ts["step"].to_numpy() if "step" in ts else np.arange(len(ts))
    empty = np.flatnonzero(fund < depleted_below)
    price0 = float(ts["price"].iloc[0])
    out: dict[str, Any] = {
        "final_fund": float(fund[-1]),
        "min_fund": float(fund.min()),
        "min_fund_to_oi": _nanmin(ts["fund_to_oi"]),
        "max_drawdown": float(ts["fund_drawdown"].max()),
        "bad_debt": _last(ts, "bad_debt"),
    }
    for col in WATERFALL_METRICS:
        out[col] = _last(ts, col)
    out["uncovered_bad_debt"] = max(0.0, out["bad_debt"] - out["fund_covered"])
    out["liquidations"] = int(_last(ts, "liquidations"))
    out["liquidation_volume"] = _last(ts, "liquidation_volume")
    out["halted_steps"] = int(ts["halted"].iloc[1:].astype(bool).sum())
    out["final_treasury"] = _last(ts, "treasury_balance")
    out["min_treasury"] = float(ts["treasury_balance"].min())
    for col in GOVERNANCE_METRICS:
        if col in ts:
            value = _last(ts, col)
            out[col] = value if col == "treasury_injected" else int(value)
    out["fund_depleted"] = bool(empty.size)
    out["fund_depleted_step"] = int(steps[empty[0]]) if empty.size else None
    out["min_price_ratio"] = float(ts["price"].min()) / price0
    out["final_price_ratio"] = float(ts["price"].iloc[-1]) / price0
    return out


MARKET_METRICS = (
    "final_fund",
    "min_fund",
    "fund_inflow",
    "fund_paid",
    "fund_share",
    "bad_debt",
    *WATERFALL_METRICS,
    "uncovered_bad_debt",
    "liquidations",
    "liquidation_volume",
    "peak_oi",
    "halted_steps",
    "fund_depleted",
    "min_price_ratio",
    "final_price_ratio",
)
"""Every metric `summarize_markets` returns for a market, from `ExchangeModel.market_frame`."""

ADDITIVE_MARKET_METRICS = (
    "fund_paid",
    "bad_debt",
    *WATERFALL_METRICS,
    "uncovered_bad_debt",
    "liquidations",
    "liquidation_volume",
)
"""Per-market metrics whose sum over the markets is the run's total of the same name
(`fund_paid` sums to the total `fund_covered`)."""

MARKET_DESCRIPTIONS = {
    **DESCRIPTIONS,
    "final_fund": "the fund this market draws on, at the end (shared: the whole fund)",
    "min_fund": "lowest balance of the fund this market draws on",
    "fund_inflow": "penalties and fees this market put into its fund",
    "fund_paid": "what the fund paid for this market's bad debt",
    "fund_share": "this market's share of everything the funds paid",
    "peak_oi": "highest open interest",
    "fund_depleted": "the fund this market draws on ran dry (1 = yes)",
}


def summarize_markets(frame: pd.DataFrame, depleted_below: float = 1.0) -> list[dict[str, Any]]:
    """One dict of `MARKET_METRICS` per market (in the order the markets first appear)
    from a per-market table: one row per step and market, row 0 = before step 1.

    Cumulative columns give their final values; metrics whose column a table lacks
    (a single market's frame has no `fund_inflow` or `fund_share`) are left out.
    """
    out = []
    for market, ts in frame.groupby("market", sort=False):
        ts = ts.sort_values("step", kind="stable")
        fund = ts["fund_balance"].to_numpy(dtype=float)
        price = ts["price"].to_numpy(dtype=float)
        row: dict[str, Any] = {"market": str(market)}
        row["final_fund"] = float(fund[-1])
        row["min_fund"] = float(fund.min())
        for col in ("fund_inflow", "fund_paid", "fund_share", "bad_debt", *WATERFALL_METRICS):
            if col in ts:
                row[col] = _last(ts, col)
        row["uncovered_bad_debt"] = max(0.0, row["bad_debt"] - row["fund_covered"])
        row["liquidations"] = int(_last(ts, "liquidations"))
        row["liquidation_volume"] = _last(ts, "liquidation_volume")
        row["peak_oi"] = float(ts["open_interest"].max())
        row["halted_steps"] = int(ts["halted"].iloc[1:].astype(bool).sum())
        row["fund_depleted"] = bool((fund < depleted_below).any())
        row["min_price_ratio"] = float(price.min()) / price[0]
        row["final_price_ratio"] = float(price[-1]) / price[0]
        out.append(row)
    return out
