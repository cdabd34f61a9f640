"""Calibration report: the default market's ordinary-day figures beside real venues' ranges.

`python -m benchmarks.calibration [--quick] [--preset NAME]` runs the default market
(`ExchangeModel()` without a preset, which is the calibrated `calm`) or a preset, with governance
off, over several seeds and prints each model figure with a seed-to-seed interval (Student t, 95 %,
over the per-seed values), the real range and its source (`TARGETS`, which mirrors
`docs/calibration.md`), and whether the estimate lies inside the range. Every time in the
figures is simulated time from `market.step_hours`, so they stay right at any step length.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm import ExchangeModel, Scenario, load_scenario
from abm.agents import Trader
from abm.batch import stats

from .market import BASE_TRADERS, default_market_kwargs

HOURS_PER_YEAR = 24 * 365
OUTFLOW_HOURS = 72
"""How long after the vault's worst day its net redemptions are counted."""


@dataclass(frozen=True)
class Target:
    """One calibration figure: what the model reports and the real range it is held to."""

    key: str
    label: str
    lo: float | None
    hi: float | None
    source: str


TARGETS = (
    Target(
        "liq_per_day_over_oi",
        "liquidated notional per day / mean OI (%)",
        0.1,
        0.5,
        "BTC futures 2024-25: Glassnode/Fasanara, Coinglass",
    ),
    Target(
        "bad_debt_share",
        "liquidations leaving bad debt (%)",
        0.0,
        2.0,
        "proxy: BitMEX fund history 2016-19, Hyperliquid 2023-25",
    ),
    Target("lp_yield", "LP vault yield per year (%)", 10.0, 50.0, "HLP 2023-26, GLP, GM pools"),
    Target(
        "fund_growth_over_oi",
        "insurance fund growth per year / mean OI (%)",
        0.3,
        15.0,
        "dYdX v4 2024 (low), BitMEX 2019 (high)",
    ),
    Target(
        "leverage_median",
        "trader leverage, median (x)",
        3.0,
        7.0,
        "Hyperliquid OI by leverage, Dec 2025",
    ),
    Target(
        "leverage_p90",
        "trader leverage, 90th percentile (x)",
        7.0,
        25.0,
        "proxy: Hyperliquid Dec 2025, BitMEX 2018-19",
    ),
    Target(
        "holding_hours",
        "mean holding time (h)",
        24.0,
        96.0,
        "proxy: 2 x OI / turnover, BTC futures 2025",
    ),
    Target(
        "worst_day_change",
        "vault's worst 24 h share-price change (%)",
        None,
        None,
        "context for the next row (HLP: -1 % and -5 %)",
    ),
    Target(
        "lp_outflow_after_loss",
        f"LP net redemptions {OUTFLOW_HOURS} h after the worst day (% of shares)",
        10.0,
        25.0,
        "HLP after 12 and 26 Mar 2025",
    ),
    Target(
        "leverage_fund_effect",
        "median leverage, fund response on / off (ratio)",
        None,
        None,
        "none found (assumption: traders.appetite_sensitivity)",
    ),
    Target(
        "liq_fund_effect",
        "liquidated notional per day / mean OI, fund response on - off (points of %)",
        None,
        None,
        "effect of the same assumption",
    ),
    Target(
        "lp_yield_fund_effect",
        "LP vault yield per year, fund response on - off (points of %)",
        None,
        None,
        "effect of the same assumption",
    ),
)
FUND_EFFECTS = {"liq_fund_effect": "liq_per_day_over_oi", "lp_yield_fund_effect": "lp_yield"}
"""Fund-response rows given as differences (a ratio of two rates can be 0 / 0)."""

INTERVAL_METHOD = "Student t 95 % over seeds"


@dataclass(frozen=True)
class Settings:
    seeds: int = 5
    steps: int = 3000
    traders: int = 500
    warmup_hours: float = 168.0
    step_hours: float = 1.0
    preset: str | None = None
    """None: the model's defaults."""


QUICK = Settings(seeds=2, steps=400, traders=100, warmup_hours=24.0)


def model_kwargs(
    seed: int, n_traders: int, preset: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """The default market (or `preset`) with governance off, its money scaled to `n_traders`
    as in the benchmarks (the LP capital from the market's own, which the calibration sets)."""
    kwargs = (load_scenario(preset) if preset else Scenario()).model_kwargs()
    lp_capital = kwargs["lps"]["capital"] * n_traders / BASE_TRADERS
    for key, value in default_market_kwargs(n_traders, seed).items():
        kwargs[key] = {**kwargs[key], **value} if isinstance(value, dict) else value
    kwargs["lps"]["capital"] = lp_capital
    for key, value in overrides.items():
        kwargs[key] = {**kwargs[key], **value} if isinstance(value, dict) else value
    return {**kwargs, "governance_enabled": False}


@dataclass
class Trace:
    """Per-step vault and position state that the model's tables do not keep."""

    share_price: list[float]
    total_shares: list[float]
    held_steps: list[int]


def simulate(kwargs: dict[str, Any], steps: int) -> tuple[ExchangeModel, Trace]:
    """Run the model, recording the vault's share price and supply and each closed holding."""
    model = ExchangeModel(**kwargs)
    ex = model.exchange
    opened_at = np.full(ex.book.size.size, -1, dtype=np.int64)
    trace = Trace([], [], [])
    for _ in range(steps):
        model.step()
        now_open = ex.book.size != 0
        was_open = opened_at >= 0
        closed = was_open & ~now_open
        trace.held_steps.extend((model.steps - opened_at[closed]).tolist())
        opened_at[closed] = -1
        opened_at[now_open & ~was_open] = model.steps
        trace.share_price.append(ex.vault.share_price(model.metrics["vault_nav"]))
        trace.total_shares.append(ex.vault.total_shares)
        if not model.running:
            break
    return model, trace


def open_leverage(model: ExchangeModel, from_step: int) -> np.ndarray:
    """Leverage of every open position in the trader samples taken from `from_step` on."""
    agents = model.datacollector.get_agenttype_vars_dataframe(Trader)
    steps = agents.index.get_level_values("Step")
    lev = agents["leverage"].to_numpy(dtype=float)[steps >= from_step]
    return lev[lev > 0]


def figures(model: ExchangeModel, trace: Trace, warmup_hours: float) -> dict[str, float]:
    """The calibration figures of one run, measured after the warm-up."""
    step_hours = model.exchange.market.params.step_hours
    ts = model.datacollector.get_model_vars_dataframe().iloc[1:]
    start = min(round(warmup_hours / step_hours), len(ts) - 2)
    window = ts.iloc[start:]
    hours = (len(window) - 1) * step_hours
    first, last = window.iloc[0], window.iloc[-1]
    mean_oi = float(window["open_interest"].mean())
    years = hours / HOURS_PER_YEAR

    events = model.events_frame()
    liq = events[(events["kind"] == "liquidation") & (events["step"] > start + 1)]
    lev = open_leverage(model, start + 1)

    price = np.asarray(trace.share_price[start:])
    shares = np.asarray(trace.total_shares[start:])
    day = max(1, round(24 / step_hours))
    worst = int(np.argmin(price[day:] / price[:-day])) + day if price.size > day else 0
    later = min(worst + round(OUTFLOW_HOURS / step_hours), price.size - 1)

    return {
        "liq_per_day_over_oi": 100
        * (last["liquidation_volume"] - first["liquidation_volume"])
        / (hours / 24)
        / mean_oi,
        "bad_debt_share": 100 * float((liq["shortfall"] > 0).mean()) if len(liq) else math.nan,
        "lp_yield": 100 * (price[-1] / price[0] - 1) / years,
        "fund_growth_over_oi": 100
        * (last["insurance_fund"] - first["insurance_fund"])
        / years
        / mean_oi,
        "leverage_median": float(np.median(lev)) if lev.size else math.nan,
        "leverage_p90": float(np.percentile(lev, 90)) if lev.size else math.nan,
        "holding_hours": float(np.mean(trace.held_steps)) * step_hours
        if trace.held_steps
        else math.nan,
        "worst_day_change": 100 * (price[worst] / price[max(worst - day, 0)] - 1),
        "lp_outflow_after_loss": 100 * (shares[worst] - shares[later]) / shares[worst],
    }


def measure(seed: int, settings: Settings) -> dict[str, float]:
    """One seed's figures, and the leverage effect of the fund-health response on it."""
    steps, traders, warmup = settings.steps, settings.traders, settings.warmup_hours
    market, preset = {"step_hours": settings.step_hours}, settings.preset
    row = figures(*simulate(model_kwargs(seed, traders, preset, market=market), steps), warmup)
    flat = model_kwargs(seed, traders, preset, market=market, traders={"appetite_sensitivity": 0.0})
    without = figures(*simulate(flat, steps), warmup)
    row["leverage_fund_effect"] = row["leverage_median"] / without["leverage_median"]
    for key, figure in FUND_EFFECTS.items():
        row[key] = row[figure] - without[figure]
    return {"seed": seed, **row}


def report(settings: Settings) -> pd.DataFrame:
    """One row per figure: the model's mean over seeds with its interval, the real range."""
    runs = pd.DataFrame([measure(seed, settings) for seed in range(1, settings.seeds + 1)])
    rows = []
    for t in TARGETS:
        i = stats.mean(runs[t.key].to_numpy(dtype=float))
        ranged = t.lo is not None and t.hi is not None
        rows.append(
            {
                "figure": t.label,
                "model": i.estimate,
                "lo95": i.lo,
                "hi95": i.hi,
                "seeds": i.n,
                "real": f"{t.lo:g} - {t.hi:g}" if ranged else "none",
                "inside": ("yes" if t.lo <= i.estimate <= t.hi else "no") if ranged else "n/a",
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def render(table: pd.DataFrame, settings: Settings) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(
        title=(
            f"{settings.preset or 'default market'}, governance off: "
            f"{settings.seeds} seeds x {settings.steps} steps "
            f"of {settings.step_hours:g} h, "
            f"{settings.traders} traders, first {settings.warmup_hours:g} h left out; "
            f"interval: {INTERVAL_METHOD}"
        )
    )
    for column in ("figure", "model", "95 % interval", "real range", "inside", "source"):
        out.add_column(column, justify="right" if column == "model" else "left")
    for r in table.itertuples():
        out.add_row(
            r.figure,
            f"{r.model:.3g}",
            f"{r.lo95:.3g} - {r.hi95:.3g}",
            r.real,
            r.inside,
            r.source,
        )
    Console(width=200).print(out)
    print("Ranges and sources: docs/calibration.md")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds x 400 steps, 100 traders")
    ap.add_argument("--seeds", type=int)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--traders", type=int)
    ap.add_argument("--warmup-hours", type=float)
    ap.add_argument("--step-hours", type=float, default=1.0, help="market.step_hours")
    ap.add_argument("--preset", help="a preset instead of the default market")
    args = ap.parse_args(argv)
    base = QUICK if args.quick else Settings()
    settings = Settings(
        seeds=args.seeds or base.seeds,
        steps=args.steps or base.steps,
        traders=args.traders or base.traders,
        warmup_hours=base.warmup_hours if args.warmup_hours is None else args.warmup_hours,
        step_hours=args.step_hours,
        preset=args.preset,
    )
    render(report(settings), settings)


if __name__ == "__main__":
    main()
