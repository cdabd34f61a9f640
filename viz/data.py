"""What the components read from a model, computed once per frame, and number formatting.

Nothing here holds state: every function takes the model (or a frame read from it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FRAME_COLUMNS = (
    "price",
    "oracle_price",
    "long_oi",
    "short_oi",
    "insurance_fund",
    "fund_to_oi",
    "fund_to_tvl",
    "bad_debt",
    "fund_covered",
    "lp_loss",
    "socialized_loss",
    "unresolved_bad_debt",
    "adl_covered",
    "fund_inflow_penalty",
    "fund_inflow_fees",
    "treasury_injected",
    "fund_target",
    "lp_vault",
    "halted",
)
"""Model columns the charts use; columns the model does not (yet) collect are skipped."""

MAX_POINTS = 400
"""Long runs are thinned to about this many rows so a frame costs the same at any step."""


def model_frame(model, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """The collected model columns the charts need, one row per step (thinned if long).

    Reads the collector's lists directly (cheaper than `get_model_vars_dataframe`, which
    copies every column). The index is the step number.
    """
    raw = model.datacollector.model_vars
    cols = {c: raw[c] for c in FRAME_COLUMNS if c in raw}
    # The shortest column: a row being collected may have some columns appended already.
    n = min(len(v) for v in cols.values()) if cols else 0
    idx = thinned(n, max_points)
    frame = pd.DataFrame({c: np.asarray(v, dtype=float)[idx] for c, v in cols.items()}, index=idx)
    frame.index.name = "step"
    return frame


def thinned(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The rows of `n` kept for a chart: every one up to `max_points`, else an even
    stride of about `max_points` that always keeps the last."""
    idx = np.arange(n)
    if n > max_points:
        stride = math.ceil(n / max_points)
        idx = np.unique(np.append(idx[::stride], n - 1))
    return idx


def fund_target(model) -> float:
    """The fund / open-interest ratio governance aims for (a governable parameter)."""
    return float(model.exchange.params.fund_target)


def target_base(model) -> tuple[str, str]:
    """The column and the words for what the fund's target is a share of."""
    if model.exchange.params.fund_target_basis == "tvl":
        return "fund_to_tvl", "TVL"
    return "fund_to_oi", "open interest"


def leverage_values(model, ex=None) -> np.ndarray:
    """Current leverage (notional / equity) of every open position, as `Trader.leverage`,
    in market `ex` (the first market unless given).

    Computed over the position book in one numpy expression; a position with no equity
    left has infinite leverage.
    """
    ex = model.exchange if ex is None else ex
    book = ex.book
    open_ = np.flatnonzero(book.size != 0)
    if open_.size == 0:
        return np.zeros(0)
    size = book.size[open_]
    eq = book.margin[open_] + size * (ex.mark - book.entry[open_])
    notional = np.abs(size) * ex.mark
    with np.errstate(divide="ignore"):
        return np.where(eq > 0, notional / np.where(eq > 0, eq, 1.0), np.inf)


LEVERAGE_BINS = 24
"""Bars in the leverage histogram; the last one also holds everything beyond it."""


def leverage_histogram(
    model, bins: int = LEVERAGE_BINS, values: np.ndarray | None = None, ex=None
) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of open positions' leverage from 0 up to the liquidation point.

    The liquidation point is 1 / maintenance margin (equity below maintenance), so the last
    bar counts the positions at or past it, including those with no equity left.
    """
    top = liquidation_leverage(model, ex)
    edges = np.linspace(0.0, top, bins + 1)
    lev = leverage_values(model, ex) if values is None else values
    counts, _ = np.histogram(np.minimum(lev, top), bins=edges)
    return edges, counts


def liquidation_leverage(model, ex=None) -> float:
    mm = (model.exchange if ex is None else ex).params.maintenance_margin
    return 1.0 / mm if mm > 0 else 100.0


# -- formatting -------------------------------------------------------------------------
def money(x: float, digits: int = 1) -> str:
    """$1.2M, $254.2k, $87 — short enough for a big number on a projector."""
    if x is None or not math.isfinite(x):
        return "—"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e9:
        return f"{sign}${a / 1e9:.{digits}f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.{digits}f}M"
    if a >= 1e4:
        return f"{sign}${a / 1e3:.{digits}f}k"
    if a >= 100:
        return f"{sign}${a:,.0f}"
    return f"{sign}${a:,.2f}"


def pct(x: float, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.{digits}f} %"


def price(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"${x:,.2f}"
