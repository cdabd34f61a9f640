"""The live charts, drawn by ECharts in the browser.

ECharts (bundled with Solara, served offline) over matplotlib PNGs: the browser draws
crisp vector-sharp lines at any size (a projector, a phone), the server only builds a
small dict per frame (no rasterising), hovering shows values, and its toolbox saves a PNG.
Each chart also offers its data as CSV. `*_option` functions are plain dicts, testable
without a browser; axis ticks come from `viz.axes` and stay put while the data fit.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable

import ipyvuetify
import numpy as np
import pandas as pd
import solara
import traitlets

from . import data
from .axes import Ticks, count_ticks, finite_range, money_ticks, nice_ticks, percent_ticks
from .markets import ALL, MarketPanel, MarketSeries, exchange_of, fund_seed
from .refresh import frame_version
from .style import COLORS

HEIGHT = "280px"
FONT = 14
STEP_AXIS = "step (hours)"


class LiquidationTally:
    """Liquidations per step, read incrementally from `model.events` (one per model and
    picked market): every market's, or only `market`'s."""

    def __init__(self, market: str | None = None) -> None:
        self.market = market
        self.seen = 0
        self.count: dict[int, int] = defaultdict(int)

    def update(self, events: list[dict]) -> LiquidationTally:
        for e in events[self.seen :]:
            if e["kind"] == "liquidation" and self.market in (None, e.get("market")):
                self.count[e["step"]] += 1
        self.seen = len(events)
        return self

    @property
    def total(self) -> int:
        return sum(self.count.values())


class StickyAxis:
    """An axis range that moves only when the data leave it or fill under half of it."""

    def __init__(self) -> None:
        self.ticks: Ticks | None = None

    def fit(self, lo: float, hi: float, make: Callable[[float, float], Ticks]) -> Ticks:
        t = self.ticks
        if t is not None:
            a, b = t.values[0], t.values[-1]
            if a <= lo and hi <= b and (hi - lo) >= 0.5 * (b - a):
                return t
        self.ticks = make(lo, hi)
        return self.ticks


def _pairs(x: np.ndarray, y: np.ndarray, divisor: float = 1.0) -> list:
    """[[x, y], ...] for ECharts, y in the axis unit, rounded, gaps as null."""
    y = np.round(np.asarray(y, dtype=float) / divisor, 4)
    pairs = np.column_stack((np.asarray(x, dtype=float), y)).tolist()
    if not np.isfinite(y).all():
        for pair, ok in zip(pairs, np.isfinite(y).tolist(), strict=True):
            pair[1] = pair[1] if ok else None
    return pairs


def line(name: str, x, y, color: str, t: Ticks, *, dashed=False, width=2.0) -> dict:
    return {
        "type": "line",
        "name": name,
        "data": _pairs(x, y, t.divisor),
        "showSymbol": False,
        "color": color,
        "lineStyle": {"width": width, "type": "dashed" if dashed else "solid"},
    }


def area(name: str, x, y, color: str, t: Ticks, stack: str, opacity=0.45) -> dict:
    return {
        "type": "line",
        "name": name,
        "data": _pairs(x, y, t.divisor),
        "showSymbol": False,
        "stack": stack,
        "color": color,
        "lineStyle": {"width": 0},
        "areaStyle": {"opacity": opacity},
    }


def step_axis(frame: pd.DataFrame) -> dict:
    last = float(frame.index[-1]) if len(frame) else 0.0
    hi = nice_ticks(0.0, max(last, 10.0), floor_zero=True)[-1]
    return titled_axis(STEP_AXIS, {"min": 0, "max": hi}, "middle")


def titled_axis(name: str, extra: dict, where: str = "end") -> dict:
    """A value axis with its title (and unit) at the end, or in the middle below it."""
    return {
        "type": "value",
        "name": name,
        "nameLocation": where,
        "nameGap": 28 if where == "middle" else 12,
        "nameTextStyle": {"fontSize": FONT, "align": "left" if where == "end" else "center"},
        "axisLabel": {"fontSize": FONT},
        "splitLine": {"lineStyle": {"opacity": 0.35}},
        **extra,
    }


def value_axis(name: str, t: Ticks, where: str = "end") -> dict:
    lo, hi, step = t.scaled()
    return titled_axis(
        name,
        {
            "min": lo,
            "max": hi,
            "interval": step,
            "axisLabel": {"fontSize": FONT, "formatter": t.template},
        },
        where,
    )


def png_toolbox(file: str) -> dict:
    """ECharts' toolbox with one button: save the chart as `file`.png at twice its size."""
    return {
        "right": 4,
        "top": 0,
        "feature": {"saveAsImage": {"title": "PNG", "name": file, "pixelRatio": 2}},
    }


def chart_option(file: str, x_axis: dict, y_axis: dict, series: list[dict], **extra) -> dict:
    """The parts every chart shares: no animation, legend below, a PNG button."""
    return {
        "animation": False,
        "textStyle": {"fontSize": FONT},
        "grid": {"left": 10, "right": 24, "top": 36, "bottom": 64, "containLabel": True},
        "legend": {"bottom": 0, "type": "scroll", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "toolbox": png_toolbox(file),
        "xAxis": x_axis,
        "yAxis": y_axis,
        "series": series,
        "graphic": [],
        **extra,
    }


class ChartWidget(ipyvuetify.VuetifyTemplate):
    """An ECharts chart whose option travels as one JSON string.

    A nested option dict (thousands of [x, y] lists) is walked on the server by the
    renderer for child elements, compared deeply, validated and scanned for binary buffers
    every frame; a string is compared and sent as it is, and an unchanged chart sends
    nothing. The browser parses it, skips a chart taken off the page before it drew, and
    holds back redraws while its tab is hidden.
    """

    template_file = (__file__, "echart.vue")
    option_json = traitlets.Unicode("{}").tag(sync=True)
    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    responsive = traitlets.Bool(False).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self):
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn


def _plain(x):
    """numpy scalars as Python numbers, for json."""
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} in a chart option")


def as_json(option: dict) -> str:
    return json.dumps(option, separators=(",", ":"), allow_nan=False, default=_plain)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def csv_text(frame: pd.DataFrame, columns: list[str]) -> str:
    out = io.StringIO()
    frame[[c for c in columns if c in frame]].to_csv(out, float_format="%.6g")
    return out.getvalue()


def EChart(
    title: str, option: dict, csv: Callable[[], str], caption: str = "", height: str = HEIGHT
):
    """One chart: its title, the chart, a CSV download and a caption.

    The option goes on as JSON text, so no element below holds the nested dict.
    """
    return ChartCard(title, as_json(option), csv, caption, height)


@solara.component
def ChartCard(title: str, option_json: str, csv: Callable[[], str], caption: str, height: str):
    """The chart's card. The download gets one function for the chart's life that calls
    the latest `csv`: a new function every frame would make the download widget start a
    thread every frame."""
    latest = solara.use_ref(csv)
    latest.current = csv
    data_now = solara.use_memo(lambda: lambda: latest.current(), [])
    with solara.Column(gap="2px", classes=["abm-chart"]):
        with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
            solara.HTML(tag="div", unsafe_innerHTML=title, classes=["abm-chart-title"])
            solara.FileDownload(
                data_now, filename=f"{slug(title)}.csv", label="CSV", mime_type="text/csv"
            )
        ChartWidget.element(
            option_json=option_json,
            attributes={"style": f"height: {height}; width: 100%;", "class": "abm-echart"},
            responsive=True,
        )
        if caption:
            solara.Text(caption, classes=["abm-caption"])


def _frame(model, frame: pd.DataFrame | None) -> pd.DataFrame:
    return data.model_frame(model) if frame is None else frame


def _title(title: str, model, market: str | None, totals: bool = True) -> str:
    """The chart's title, saying what it shows when the venue has several markets
    (`market` None: one market, the title as it is): the picked market, the totals, or
    for a chart of one market's book under "All markets", the first market."""
    if market is None:
        return title
    if market != ALL:
        return f"{title} · {market}"
    return f"{title} · all markets" if totals else f"{title} · {model.exchange.name} (first market)"


def _picked(market: str | None) -> bool:
    return market not in (None, ALL)


# -- insurance fund ---------------------------------------------------------------------
FUND_SOURCES = (
    ("in: penalties", "fund_inflow_penalty", COLORS["penalty"]),
    ("in: fees", "fund_inflow_fees", COLORS["fees"]),
    ("in: treasury", "treasury_injected", COLORS["injection"]),
    ("in: its penalties and fees", "fund_inflow", COLORS["penalty"]),
)
"""What went into the fund, by source; a market's own frame has only its last line."""
FUND_COLUMNS = ["insurance_fund", "fund_covered", *[c for _, c, _ in FUND_SOURCES[:3]]]
MARKET_FUND_COLUMNS = ["insurance_fund", "fund_inflow", "fund_covered", "fund_share"]


def fund_option(frame: pd.DataFrame, initial: float, axis: StickyAxis | None = None) -> dict:
    x = frame.index.to_numpy()
    balance = frame["insurance_fund"].to_numpy()
    paid = -frame["fund_covered"].to_numpy()
    present = [(n, frame[c].to_numpy(), col) for n, c, col in FUND_SOURCES if c in frame]
    inflow = np.sum([v for _, v, _ in present], axis=0) if present else np.zeros(len(x))
    lo, hi = finite_range(balance, paid, inflow, [initial, 0.0])
    t = (axis or StickyAxis()).fit(lo, hi, money_ticks)
    series = [area(n, x, v, col, t, "in") for n, v, col in present]
    series.append(area("out: bad debt paid", x, paid, COLORS["paid"], t, "out"))
    fund = line("fund balance", x, balance, COLORS["fund"], t, width=3)
    fund["markLine"] = {
        "symbol": "none",
        "silent": True,
        "label": {"formatter": "initial fund", "fontSize": 12, "position": "insideEndTop"},
        "lineStyle": {"color": COLORS["target"], "type": "dotted"},
        "data": [{"yAxis": initial / t.divisor}],
    }
    series.append(fund)
    return chart_option("insurance_fund", step_axis(frame), value_axis("US$", t), series)


@solara.component
def FundChart(model, frame: pd.DataFrame | None = None, version: int | None = None, market=None):
    """The fund balance; cumulative inflows by source above zero, payouts below. For one
    market of several: the fund it draws on, what it put in and what it drew."""
    frame_version(version)
    axis = solara.use_memo(StickyAxis, [model, market])
    f = _frame(model, frame)
    initial = float(fund_seed(model, market))
    columns = FUND_COLUMNS
    if market is None:
        fund = model.exchange.fund
        inflow = sum(v for k, v in fund.inflows.items() if k != "seed")
        caption = (
            f"Balance {data.money(fund.balance)} · in since the start {data.money(inflow)} "
            f"· paid out {data.money(sum(fund.outflows.values()))}"
        )
    elif market == ALL:
        last = f.iloc[-1]
        inflow = sum(last[c] for _, c, _ in FUND_SOURCES if c in last)
        caption = (
            f"Every market's fund together: balance {data.money(last['insurance_fund'])} "
            f"· in since the start {data.money(inflow)} · paid out "
            f"{data.money(last['fund_covered'])}"
        )
    else:
        last, columns = f.iloc[-1], MARKET_FUND_COLUMNS
        whose = "its own fund" if model.markets.has_own_fund(market) else "the shared fund"
        caption = (
            f"{market} draws on {whose}: balance {data.money(last['insurance_fund'])} · "
            f"{market}'s penalties and fees put in {data.money(last['fund_inflow'])} · it "
            f"drew {data.money(last['fund_covered'])} ({data.pct(last['fund_share'], 0)} of "
            "what the fund paid)"
        )
    EChart(
        _title("Insurance fund", model, market),
        fund_option(f, initial, axis),
        lambda: csv_text(f, columns),
        caption,
    )


# -- price ------------------------------------------------------------------------------
def halted_spans(frame: pd.DataFrame) -> list[tuple[int, int]]:
    if "halted" not in frame:
        return []
    x = frame.index.to_numpy()
    on = frame["halted"].to_numpy() > 0
    spans, start = [], None
    for step, h in zip(x.tolist(), on.tolist(), strict=True):
        if h and start is None:
            start = step
        if not h and start is not None:
            spans.append((start, step))
            start = None
    if start is not None:
        spans.append((start, int(x[-1])))
    return spans


def price_option(frame: pd.DataFrame, tally: LiquidationTally, axis: StickyAxis | None = None):
    x = frame.index.to_numpy()
    lo, hi = finite_range(frame["price"], frame["oracle_price"])
    t = (axis or StickyAxis()).fit(lo, hi, money_ticks)
    market = line("market price", x, frame["price"], COLORS["price"], t)
    spans = halted_spans(frame)
    if spans:
        market["markArea"] = {
            "silent": True,
            "itemStyle": {"color": COLORS["halt"], "opacity": 0.3},
            "data": [[{"xAxis": a}, {"xAxis": b}] for a, b in spans],
        }
    series = [
        market,
        line("oracle (mark)", x, frame["oracle_price"], COLORS["oracle"], t, dashed=True),
    ]
    if tally.count:
        steps = np.fromiter(tally.count, dtype=int)
        pos = np.searchsorted(x, steps).clip(0, len(x) - 1)
        y = frame["oracle_price"].to_numpy()[pos] / t.divisor
        counts = np.fromiter(tally.count.values(), dtype=float)
        series.append(
            {
                "type": "scatter",
                "name": "liquidations",
                "symbol": "triangle",
                "symbolRotate": 180,
                "color": COLORS["liq"],
                "data": [
                    {"value": [int(s), float(f"{v:.5g}")], "symbolSize": float(8 + 3 * np.sqrt(c))}
                    for s, v, c in zip(steps.tolist(), y.tolist(), counts.tolist(), strict=True)
                ],
            }
        )
    return chart_option("price", step_axis(frame), value_axis("price (US$)", t), series)


@solara.component
def PriceChart(model, frame: pd.DataFrame | None = None, version: int | None = None, market=None):
    """Market and oracle price, with a red marker on every step that had liquidations."""
    frame_version(version)
    own = market if _picked(market) else None
    tally = solara.use_memo(lambda: LiquidationTally(own), [model, market])
    axis = solara.use_memo(StickyAxis, [model, market])
    f = _frame(model, frame)
    tally.update(model.events)
    where = f" in {own}" if own else ""
    EChart(
        _title("Price", model, market, totals=False),
        price_option(f, tally, axis),
        lambda: csv_text(f, ["price", "oracle_price", "halted"]),
        f"{tally.total} liquidations{where} so far; ▼ marks the steps where they happened.",
    )


# -- fund / open interest ---------------------------------------------------------------
def fund_ratio_option(
    frame: pd.DataFrame,
    target: float,
    axis: StickyAxis | None = None,
    column: str = "fund_to_oi",
    base: str = "open interest",
):
    """The fund against its target's base (open interest, or TVL) and the target."""
    x = frame.index.to_numpy()
    ratio = frame[column].to_numpy()
    tgt = frame["fund_target"].to_numpy() if "fund_target" in frame else np.full(len(x), target)
    _, hi = finite_range(ratio, tgt)
    # A nearly empty book makes the ratio explode; keep the target in sensible view.
    hi = min(hi, max(4 * float(np.nanmax(tgt)) if len(tgt) else 0.2, 0.02))
    t = (axis or StickyAxis()).fit(0.0, hi, percent_ticks)
    shown = np.minimum(ratio, t.values[-1])
    series = [
        line(f"fund / {base}", x, shown, COLORS["fund"], t),
        line("target", x, tgt, COLORS["target"], t, dashed=True),
    ]
    name = "fund_to_open_interest" if column == "fund_to_oi" else column
    return chart_option(name, step_axis(frame), value_axis(f"% of {base}", t), series)


@solara.component
def FundRatioChart(
    model, frame: pd.DataFrame | None = None, version: int | None = None, market=None
):
    """The fund against its target's base (open interest, or TVL) and the target
    governance steers towards: the venue's, whatever market is picked."""
    frame_version(version)
    axis = solara.use_memo(StickyAxis, [model])
    f = _frame(model, frame)
    target = data.fund_target(model)
    column, base = data.target_base(model)
    EChart(
        _title(f"Fund / {base} vs the governance target", model, None if market is None else ALL),
        fund_ratio_option(f, target, axis, column, base),
        lambda: csv_text(f, [column, "fund_target"]),
        f"Target now {data.pct(target)} of {base}.",
    )


# -- bad debt by waterfall stage --------------------------------------------------------
WATERFALL = (
    ("insurance fund", "fund_covered", COLORS["fund"]),
    ("LP vault", "lp_loss", COLORS["lp"]),
    ("ADL", "adl_covered", COLORS["adl"]),
    ("socialised", "socialized_loss", COLORS["socialized"]),
    ("not covered (halt)", "unresolved_bad_debt", COLORS["unresolved"]),
)


def bad_debt_option(frame: pd.DataFrame, axis: StickyAxis | None = None) -> dict:
    x = frame.index.to_numpy()
    layers = [(n, frame[c].to_numpy(), col) for n, c, col in WATERFALL if c in frame]
    total = np.sum([v for _, v, _ in layers], axis=0)
    make = lambda lo, hi: money_ticks(lo, hi, floor_zero=True)  # noqa: E731
    t = (axis or StickyAxis()).fit(0.0, float(max(total.max(), 1.0)), make)
    series = [area(n, x, v, col, t, "debt", opacity=0.8) for n, v, col in layers]
    extra = {}
    if total[-1] <= 0:
        extra["graphic"] = [
            {
                "type": "text",
                "left": "center",
                "top": "middle",
                "style": {"text": "no bad debt yet", "fontSize": 16, "fill": "#777"},
            }
        ]
    return chart_option("bad_debt", step_axis(frame), value_axis("US$", t), series, **extra)


@solara.component
def BadDebtChart(model, frame: pd.DataFrame | None = None, version: int | None = None, market=None):
    """Cumulative bad debt, stacked by the waterfall stage that absorbed it."""
    frame_version(version)
    axis = solara.use_memo(StickyAxis, [model, market])
    f = _frame(model, frame)
    last = f.iloc[-1]
    EChart(
        _title("Bad debt: who paid (loss waterfall)", model, market),
        bad_debt_option(f, axis),
        lambda: csv_text(f, ["bad_debt", *[c for _, c, _ in WATERFALL]]),
        " · ".join(f"{n} {data.money(last[c])}" for n, c, _ in WATERFALL[:4] if c in last),
    )


# -- open interest and the LP vault -----------------------------------------------------
def open_interest_option(frame: pd.DataFrame, axis: StickyAxis | None = None) -> dict:
    x = frame.index.to_numpy()
    long_, short = frame["long_oi"].abs().to_numpy(), frame["short_oi"].abs().to_numpy()
    vault = frame["lp_vault"].to_numpy()
    _, hi = finite_range(long_, short, vault)
    make = lambda lo, hi: money_ticks(lo, hi, floor_zero=True)  # noqa: E731
    t = (axis or StickyAxis()).fit(0.0, hi, make)
    series = [
        line("long", x, long_, COLORS["long"], t),
        line("short", x, short, COLORS["short"], t),
        line("LP vault", x, vault, COLORS["vault"], t, dashed=True),
    ]
    return chart_option("open_interest", step_axis(frame), value_axis("US$", t), series)


@solara.component
def OpenInterestChart(
    model, frame: pd.DataFrame | None = None, version: int | None = None, market=None
):
    """Open interest long and short, and the LP vault that takes the other side."""
    frame_version(version)
    axis = solara.use_memo(StickyAxis, [model, market])
    f = _frame(model, frame)
    last = f.iloc[-1]
    EChart(
        _title("Open interest and the LP vault", model, market),
        open_interest_option(f, axis),
        lambda: csv_text(f, ["long_oi", "short_oi", "lp_vault"]),
        f"Long {data.money(abs(last['long_oi']))} · short {data.money(abs(last['short_oi']))}"
        f" · vault {data.money(last['lp_vault'])}",
    )


# -- leverage distribution --------------------------------------------------------------
def leverage_colors(edges: np.ndarray, max_lev: float) -> list[str]:
    mids = (edges[:-1] + edges[1:]) / 2
    return [COLORS["green"] if m <= max_lev else COLORS["amber"] for m in mids[:-1]] + [
        COLORS["red"]
    ]


def leverage_option(edges: np.ndarray, counts: np.ndarray, max_lev: float) -> dict:
    labels = [f"{a:.0f}–{b:.0f}×" for a, b in itertools.pairwise(edges)]
    colors = leverage_colors(edges, max_lev)
    t = count_ticks(float(counts.max()) if counts.size else 0.0)
    bars = {
        "type": "bar",
        "name": "open positions",
        "barCategoryGap": "10%",
        "data": [
            {"value": int(c), "itemStyle": {"color": col}}
            for c, col in zip(counts.tolist(), colors, strict=True)
        ],
    }
    x_axis = {
        "type": "category",
        "data": labels,
        "name": "leverage (notional / equity)",
        "nameLocation": "middle",
        "nameGap": 30,
        "nameTextStyle": {"fontSize": FONT},
        "axisLabel": {"fontSize": 12, "interval": 3},
    }
    option = chart_option("leverage", x_axis, value_axis("open positions", t), [bars])
    option["legend"] = {"show": False}
    option["grid"]["bottom"] = 40
    return option


@solara.component
def LeverageChart(
    model, frame: pd.DataFrame | None = None, version: int | None = None, market=None
):
    """How leveraged the open positions are now (in the picked market, or the first);
    the red bar is at the liquidation point."""
    frame_version(version)
    ex = exchange_of(model, market)
    lev = data.leverage_values(model, ex)
    edges, counts = data.leverage_histogram(model, values=lev, ex=ex)
    n_open = int(counts.sum())
    max_lev = float(ex.params.max_leverage)
    if n_open:
        caption = (
            f"{n_open} open positions · median {np.median(lev):.1f}× · green within the "
            f"maximum leverage {max_lev:.0f}×, amber above it (the price moved), red: "
            f"{int(counts[-1])} at the liquidation point ({edges[-1]:.0f}×)"
        )
    else:
        caption = "No open positions yet."

    def csv() -> str:
        table = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "positions": counts})
        return table.to_csv(index=False, float_format="%.6g")

    title = _title("Traders' leverage now", model, market, totals=False)
    EChart(title, leverage_option(edges, counts, max_lev), csv, caption)


CHARTS = (FundChart, PriceChart, FundRatioChart, BadDebtChart, OpenInterestChart, LeverageChart)
"""In page order: the fund first, so it is above the fold on a projector."""


PER_MARKET = (FundChart, PriceChart, BadDebtChart, OpenInterestChart, LeverageChart)
"""The charts that follow the market picker; the fund / open interest chart stays the
venue's (its target is the venue's)."""


@solara.component
def Charts(model, version: int | None = None, market: solara.Reactive[str] | None = None):
    """Every chart, reading the model's data frame once for all of them; with several
    markets, the picker and the per-market table above them.

    `market` holds the picked market (the page's, so it outlives a switch of tabs).
    """
    counter = frame_version(version)
    own = solara.use_reactive(ALL)
    picked = own if market is None else market
    series = solara.use_memo(lambda: MarketSeries(model), [model]).update(model)
    frame = data.model_frame(model)
    shown = (picked.value if picked.value in series.names else ALL) if series.names else None
    per_market = series.frame(shown) if _picked(shown) else frame
    MarketPanel(model, series, picked)
    with solara.ColumnsResponsive(default=12, large=6):
        for chart in CHARTS:
            f = per_market if chart in PER_MARKET else frame
            chart(model, frame=f, version=counter, market=shown)
