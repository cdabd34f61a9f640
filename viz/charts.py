"""The live charts. Each takes the model, and optionally the frame already read this render.

`draw_*` functions are plain matplotlib (testable without Solara); they return the data
extent so the chart can keep its axes still between frames.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from . import data
from .figures import COLORS, STATIC, Extent, LiveFigure, finite_range, money_axis, pct_axis
from .refresh import frame_version


def _frame(model, frame: pd.DataFrame | None) -> pd.DataFrame:
    return data.model_frame(model) if frame is None else frame


def _x_extent(frame: pd.DataFrame) -> tuple[float, float]:
    return 0.0, float(max(frame.index[-1], 10))


class LiquidationTally:
    """Liquidations per step, read incrementally from `model.events` (one per model)."""

    def __init__(self) -> None:
        self.seen = 0
        self.count: dict[int, int] = defaultdict(int)

    def update(self, events: list[dict]) -> LiquidationTally:
        for e in events[self.seen :]:
            if e["kind"] == "liquidation":
                self.count[e["step"]] += 1
        self.seen = len(events)
        return self

    @property
    def total(self) -> int:
        return sum(self.count.values())


# -- price ------------------------------------------------------------------------------
def draw_price(ax: Axes, frame: pd.DataFrame, tally: LiquidationTally) -> Extent:
    x = frame.index.to_numpy()
    ax.plot(x, frame["price"], color=COLORS["price"], lw=1.5)
    ax.plot(x, frame["oracle_price"], color=COLORS["oracle"], lw=1.2, ls="--")
    if tally.count:
        steps = np.fromiter(tally.count, dtype=int)
        counts = np.fromiter(tally.count.values(), dtype=float)
        pos = np.searchsorted(x, steps).clip(0, len(x) - 1)
        y = frame["oracle_price"].to_numpy()[pos]
        ax.scatter(
            steps,
            y,
            s=14 + 8 * np.sqrt(counts),
            marker="v",
            color=COLORS["liq"],
            alpha=0.7,
            zorder=3,
        )
    if "halted" in frame and frame["halted"].any():
        ax.fill_between(
            x,
            0,
            1,
            where=frame["halted"].to_numpy() > 0,
            transform=ax.get_xaxis_transform(),
            color=COLORS["halt"],
            alpha=0.3,
            lw=0,
        )
    return Extent(_x_extent(frame), finite_range(frame["price"], frame["oracle_price"]))


@solara.component
def PriceChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """Market and oracle price, with a red marker on every step that had liquidations."""
    counter = frame_version(version)
    tally = solara.use_memo(LiquidationTally, [model])
    f = _frame(model, frame)
    tally.update(model.events)
    LiveFigure(
        model,
        "Price",
        lambda ax: draw_price(ax, f, tally),
        legend=[
            ("market price", COLORS["price"], "line"),
            ("oracle (mark)", COLORS["oracle"], "dash"),
            ("liquidations", COLORS["liq"], "marker"),
            ("trading halted", COLORS["halt"], "area"),
        ],
        version=counter,
        caption=f"{tally.total} liquidations so far; ▼ marks the steps where they happened.",
    )


# -- insurance fund ---------------------------------------------------------------------
FUND_SOURCES = (
    ("in: penalties", "fund_inflow_penalty", COLORS["penalty"]),
    ("in: fees", "fund_inflow_fees", COLORS["fees"]),
    ("in: treasury", "treasury_injected", COLORS["injection"]),
)


def draw_fund(ax: Axes, frame: pd.DataFrame, initial: float) -> Extent:
    x = frame.index.to_numpy()
    present = [(frame[c].to_numpy(), color) for _, c, color in FUND_SOURCES if c in frame]
    stacked = np.vstack([v for v, _ in present])
    ax.stackplot(x, stacked, colors=[c for _, c in present], alpha=0.45, lw=0)
    paid = -frame["fund_covered"].to_numpy()
    ax.fill_between(x, 0, paid, color=COLORS["paid"], alpha=0.45, lw=0)
    ax.axhline(initial, color=COLORS["target"], lw=1.0, ls=":")
    balance = frame["insurance_fund"].to_numpy()
    ax.plot(x, balance, color=COLORS["fund"], lw=2.2)
    ax.axhline(0, color="black", lw=0.6)
    money_axis(ax)
    return Extent(_x_extent(frame), finite_range(balance, paid, stacked.sum(axis=0), [initial]))


@solara.component
def FundChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """The fund balance; cumulative inflows by source above zero, payouts below."""
    counter = frame_version(version)
    f = _frame(model, frame)
    fund = model.exchange.fund
    initial = float(fund.inflows.get("seed", 0.0))
    inflow = sum(v for k, v in fund.inflows.items() if k != "seed")
    outflow = sum(fund.outflows.values())
    LiveFigure(
        model,
        "Insurance fund",
        lambda ax: draw_fund(ax, f, initial),
        legend=[
            ("fund balance", COLORS["fund"], "line"),
            ("initial fund", COLORS["target"], "dash"),
            *[(label, color, "area") for label, _, color in FUND_SOURCES],
            ("out: bad debt paid", COLORS["paid"], "area"),
        ],
        version=counter,
        caption=(
            f"Balance {data.money(fund.balance)} · in since the start {data.money(inflow)} "
            f"· paid out {data.money(outflow)}"
        ),
    )


# -- fund / open interest ---------------------------------------------------------------
def draw_fund_ratio(ax: Axes, frame: pd.DataFrame, target: float) -> Extent:
    x = frame.index.to_numpy()
    ratio = frame["fund_to_oi"].to_numpy()
    tgt = frame["fund_target"].to_numpy() if "fund_target" in frame else np.full(len(x), target)
    ax.plot(x, ratio, color=COLORS["fund"], lw=1.8)
    ax.plot(x, tgt, color=COLORS["target"], lw=1.4, ls="--")
    with np.errstate(invalid="ignore"):
        below = ratio < tgt
    ax.fill_between(x, ratio, tgt, where=below, color=COLORS["red"], alpha=0.25, lw=0)
    pct_axis(ax)
    _, hi = finite_range(ratio, tgt)
    # A nearly empty book makes the ratio explode; keep the target in sensible view.
    hi = min(hi, max(4 * np.nanmax(tgt) if len(tgt) else 0.2, 0.02))
    return Extent(_x_extent(frame), (0.0, hi), y_floor_zero=True)


@solara.component
def FundRatioChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """Fund / open interest against the target governance steers towards (shaded below)."""
    counter = frame_version(version)
    f = _frame(model, frame)
    target = data.fund_target(model)
    LiveFigure(
        model,
        "Fund / open interest vs the governance target",
        lambda ax: draw_fund_ratio(ax, f, target),
        legend=[
            ("fund / open interest", COLORS["fund"], "line"),
            ("target", COLORS["target"], "dash"),
            ("below target", COLORS["red"], "area"),
        ],
        version=counter,
        caption=f"Target now {data.pct(target)} of open interest.",
    )


# -- bad debt by waterfall stage --------------------------------------------------------
WATERFALL = (
    ("insurance fund", "fund_covered", COLORS["fund"]),
    ("LP vault", "lp_loss", COLORS["lp"]),
    ("ADL", "adl_covered", COLORS["adl"]),
    ("socialised", "socialized_loss", COLORS["socialized"]),
    ("not covered (halt)", "unresolved_bad_debt", COLORS["unresolved"]),
)


def draw_bad_debt(ax: Axes, frame: pd.DataFrame) -> Extent:
    x = frame.index.to_numpy()
    layers = np.vstack([frame[c].to_numpy() for _, c, _ in WATERFALL])
    ax.stackplot(x, layers, colors=[c for _, _, c in WATERFALL], alpha=0.8, lw=0)
    money_axis(ax)
    total = layers.sum(axis=0)
    if total[-1] <= 0:
        ax.text(0.5, 0.5, "no bad debt yet", transform=ax.transAxes, ha="center", color="0.4")
    return Extent(_x_extent(frame), (0.0, float(max(total.max(), 1.0))), y_floor_zero=True)


@solara.component
def BadDebtChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """Cumulative bad debt, stacked by the waterfall stage that absorbed it."""
    counter = frame_version(version)
    f = _frame(model, frame)
    last = f.iloc[-1]
    LiveFigure(
        model,
        "Bad debt: who paid (loss waterfall)",
        lambda ax: draw_bad_debt(ax, f),
        legend=[(label, color, "area") for label, _, color in WATERFALL],
        version=counter,
        caption=" · ".join(f"{label} {data.money(last[c])}" for label, c, _ in WATERFALL[:4]),
    )


# -- open interest and the LP vault -----------------------------------------------------
def draw_open_interest(ax: Axes, frame: pd.DataFrame) -> Extent:
    x = frame.index.to_numpy()
    long_, short = frame["long_oi"].abs().to_numpy(), frame["short_oi"].abs().to_numpy()
    vault = frame["lp_vault"].to_numpy()
    ax.plot(x, long_, color=COLORS["long"], lw=1.5)
    ax.plot(x, short, color=COLORS["short"], lw=1.5)
    ax.plot(x, vault, color=COLORS["vault"], lw=1.8, ls="--")
    money_axis(ax)
    return Extent(_x_extent(frame), finite_range(long_, short, vault), y_floor_zero=True)


@solara.component
def OpenInterestChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """Open interest long and short, and the LP vault that takes the other side."""
    counter = frame_version(version)
    f = _frame(model, frame)
    last = f.iloc[-1]
    LiveFigure(
        model,
        "Open interest and the LP vault",
        lambda ax: draw_open_interest(ax, f),
        legend=[
            ("long", COLORS["long"], "line"),
            ("short", COLORS["short"], "line"),
            ("LP vault", COLORS["vault"], "dash"),
        ],
        version=counter,
        caption=(
            f"Long {data.money(abs(last['long_oi']))} · short {data.money(abs(last['short_oi']))}"
            f" · vault {data.money(last['lp_vault'])}"
        ),
    )


# -- leverage distribution --------------------------------------------------------------
def leverage_colors(edges: np.ndarray, max_lev: float) -> list[str]:
    mids = (edges[:-1] + edges[1:]) / 2
    return [COLORS["green"] if m <= max_lev else COLORS["amber"] for m in mids[:-1]] + [
        COLORS["red"]
    ]


def draw_leverage(ax: Axes, edges: np.ndarray, counts: np.ndarray, max_lev: float) -> Extent:
    """One bar per bin, drawn as a single collection (one artist, however many bars)."""
    gap = np.diff(edges) * 0.05
    left, right = edges[:-1] + gap, edges[1:] - gap
    bars = [[(a, 0), (a, c), (b, c), (b, 0)] for a, b, c in zip(left, right, counts, strict=True)]
    ax.add_collection(PolyCollection(bars, facecolors=leverage_colors(edges, max_lev), lw=0))
    line = ax.axvline(max_lev, color=COLORS["target"], lw=1.0, ls="--")
    label = ax.text(
        max_lev,
        0.97,
        f" max leverage {max_lev:.0f}×",
        transform=ax.get_xaxis_transform(),
        fontsize=9.5,
        va="top",
        color="0.25",
    )
    line.set_gid(STATIC)
    label.set_gid(STATIC)
    top = float(max(counts.max() if counts.size else 0, 5))
    return Extent((0.0, float(edges[-1])), (0.0, top), y_floor_zero=True, key=max_lev)


@solara.component
def LeverageChart(model, frame: pd.DataFrame | None = None, version: int | None = None):
    """How leveraged the open positions are now; the red bar is at the liquidation point."""
    counter = frame_version(version)
    lev = data.leverage_values(model)
    edges, counts = data.leverage_histogram(model, values=lev)
    n_open = int(counts.sum())
    max_lev = float(model.exchange.params.max_leverage)
    if n_open:
        caption = (
            f"{n_open} open positions · median {np.median(lev):.1f}× · "
            f"{int(counts[-1])} at the liquidation point ({edges[-1]:.0f}×)"
        )
    else:
        caption = "No open positions yet."
    LiveFigure(
        model,
        "Traders' leverage now",
        lambda ax: draw_leverage(ax, edges, counts, max_lev),
        legend=[
            ("within max leverage", COLORS["green"], "area"),
            ("above max (price moved)", COLORS["amber"], "area"),
            ("at the liquidation point", COLORS["red"], "area"),
        ],
        version=counter,
        caption=caption,
    )


CHARTS = (PriceChart, FundChart, FundRatioChart, BadDebtChart, OpenInterestChart, LeverageChart)


@solara.component
def Charts(model, version: int | None = None):
    """Every chart, reading the model's data frame once for all of them."""
    counter = frame_version(version)
    frame = data.model_frame(model)
    with solara.ColumnsResponsive(default=12, large=6):
        for chart in CHARTS:
            chart(model, frame=frame, version=counter)
