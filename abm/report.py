"""`abm report DIR`: PNG plots and one HTML page for a run folder or a sweep folder.

For a sweep, every metric is plotted against every swept parameter: the median with a
5-95 % band (and the mean dashed), one line per combination of the other parameters.
A sweep summarised per market (`runs_markets.parquet`) also gets a table of each
market's headline statistics with their intervals. For a single run, the main time
series: prices, the fund, bad debt by waterfall stage, liquidations, open interest, the
LP vault (and governance, when present). The files go to `DIR/report/`, which is
replaced as a whole.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .batch.aggregate import aggregate, aggregate_long
from .batch.io import atomic_dir
from .batch.metrics import DESCRIPTIONS, METRICS, WATERFALL_METRICS
from .batch.stats import proportion
from .batch.sweep import read_market_runs, read_runs, sweep_status

DPI = 90


@dataclass
class Report:
    html: Path
    images: list[Path] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    aggregate: pd.DataFrame | None = None
    grid: list[str] = field(default_factory=list)
    incomplete: str | None = None
    """Why a sweep's report covers only part of it (None: the sweep is complete)."""
    aggregate_markets: pd.DataFrame | None = None
    """A per-market sweep's aggregate: one row per grid point and market."""


def report(directory: str | os.PathLike, *, overwrite: bool = True) -> Report:
    """Write `directory/report/` (index.html and PNGs) for a run or sweep folder."""
    d = Path(directory)
    if (d / "sweep.json").exists():
        return _sweep_report(d, overwrite)
    if (d / "summary.json").exists() and (d / "timeseries.parquet").exists():
        return _run_report(d, overwrite)
    raise ValueError(
        f"{d} is neither a run folder (summary.json, timeseries.parquet) "
        "nor a sweep folder (sweep.json)"
    )


# -- a single run -----------------------------------------------------------------------
def _run_report(d: Path, overwrite: bool) -> Report:
    summary = json.loads((d / "summary.json").read_text())
    ts = pd.read_parquet(d / "timeseries.parquet")
    dest = d / "report"
    config = summary.get("config", {})
    step_hours = float(config.get("market", {}).get("step_hours", 1.0))
    ts.attrs["fund_target_basis"] = config.get("exchange", {}).get("fund_target_basis")
    images: list[tuple[str, str]] = []
    with atomic_dir(dest, overwrite=overwrite) as tmp:
        for name, caption, draw in _RUN_PLOTS:
            if not _has(ts, draw):
                continue
            fig, ax = plt.subplots(figsize=(8, 3.2), dpi=DPI)
            draw(ax, ts)
            _shade_halts(ax, ts)
            ax.set_xlabel(f"step ({_hours(step_hours)} each)")
            ax.grid(alpha=0.3)
            fig.tight_layout()
            fig.savefig(tmp / f"{name}.png")
            plt.close(fig)
            images.append((f"{name}.png", caption))
        info = summary.get("config", {}).get("info", {})
        rows = [(k, _cell(v), DESCRIPTIONS.get(k, "")) for k, v in summary.items() if k in METRICS]
        page = PAGE.render(
            title=f"abm run {d.name}",
            heading=f"Run: {summary.get('scenario')}, seed {summary.get('seed')}, "
            f"{summary.get('steps')} steps of {_hours(step_hours)}",
            description=info.get("description", ""),
            tables=[("Summary", ["metric", "value", "meaning"], rows)],
            figures=images,
            parameters=_parameters(summary.get("overrides") or {}, summary.get("config", {})),
        )
        (tmp / "index.html").write_text(page)
    return Report(dest / "index.html", [dest / n for n, _ in images], summary=summary)


def _has(ts: pd.DataFrame, draw) -> bool:
    needs = getattr(draw, "needs", ())
    return all(c in ts for c in needs)


def _needs(*cols: str):
    def mark(fn):
        fn.needs = cols
        return fn

    return mark


def _shade_halts(ax, ts: pd.DataFrame) -> None:
    if "halted" not in ts:
        return
    halted = ts["halted"].astype(bool).to_numpy()
    if halted.any():
        ax.fill_between(
            ts["step"],
            0,
            1,
            where=halted,
            color="red",
            alpha=0.08,
            transform=ax.get_xaxis_transform(),
            label="halted",
        )


@_needs("price", "oracle_price")
def _prices(ax, ts):
    ax.plot(ts["step"], ts["price"], lw=1, label="reference price")
    ax.plot(ts["step"], ts["oracle_price"], lw=1, ls="--", label="oracle (mark) price")
    ax.set_ylabel("price (stablecoins)")
    ax.legend(loc="best", fontsize=8)


@_needs("insurance_fund", "fund_to_oi")
def _fund(ax, ts):
    """The fund, and its ratio to the base its target is set on (open interest or TVL,
    `ts.attrs["fund_target_basis"]`) beside the target."""
    ax.plot(ts["step"], ts["insurance_fund"], color="C2", lw=1.2, label="insurance fund")
    ax.set_ylabel("fund (stablecoins)")
    ax2 = ax.twinx()
    tvl = ts.attrs.get("fund_target_basis") == "tvl" and "fund_to_tvl" in ts
    column, base, short = (
        ("fund_to_tvl", "TVL", "TVL") if tvl else ("fund_to_oi", "open interest", "OI")
    )
    ratio = ts[column].to_numpy(dtype=float)
    ax2.plot(ts["step"], ratio, color="C1", lw=0.8, alpha=0.7, label=f"fund / {base}")
    if "fund_target" in ts:
        ax2.plot(
            ts["step"], ts["fund_target"], color="C3", ls="--", lw=1,
            label=f"governance target (fund / {short})",
        )  # fmt: skip
    later = ratio[1:][np.isfinite(ratio[1:])]
    if later.size:  # the first steps' thin book must not set the scale for the whole run
        top = max(np.percentile(later, 99), float(np.nanmax(ts.get("fund_target", [0]))))
        ax2.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax2.set_ylabel(f"fund / {base} (ratio)")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="best", fontsize=8)


@_needs("bad_debt", *WATERFALL_METRICS)
def _waterfall(ax, ts):
    stages = {
        "insurance fund": ts["fund_covered"],
        "LP vault": ts["lp_loss"],
        "ADL": ts["adl_covered"],
        "socialized": ts["socialized_loss"],
        "unresolved (halt)": ts["unresolved_bad_debt"],
    }
    used = {k: v for k, v in stages.items() if float(v.abs().max()) > 0}  # empty stages: no key
    if used:
        ax.stackplot(ts["step"], *used.values(), labels=list(used), alpha=0.8)
        ax.legend(loc="upper left", fontsize=8, title="absorbed by", title_fontsize=8)
    else:
        ax.text(0.5, 0.5, "no bad debt", transform=ax.transAxes, ha="center", va="center")
    ax.set_ylabel("cumulative bad debt (stablecoins)")


@_needs("liquidation_volume", "liquidations")
def _liquidations(ax, ts):
    vol = ts["liquidation_volume"].diff().fillna(0.0)
    # one vertical line per step: every spike stays visible however many steps there are
    ax.vlines(ts["step"], 0, vol, color="C3", lw=1.0, label="liquidated notional per step")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("notional per step (stablecoins)")
    ax2 = ax.twinx()
    ax2.plot(ts["step"], ts["liquidations"], color="k", lw=0.8, label="liquidations (cumulative)")
    ax2.set_ylabel("liquidations (count)")
    handles = [*ax.get_legend_handles_labels()[0], *ax2.get_lines()]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8)


@_needs("long_oi", "short_oi")
def _open_interest(ax, ts):
    ax.plot(ts["step"], ts["long_oi"], lw=1, label="long OI")
    ax.plot(ts["step"], ts["short_oi"], lw=1, label="short OI")
    ax.set_ylabel("open interest (stablecoins)")
    ax.legend(loc="best", fontsize=8)


@_needs("lp_vault", "vault_nav")
def _vault(ax, ts):
    ax.plot(ts["step"], ts["lp_vault"], lw=1, label="vault balance")
    ax.plot(ts["step"], ts["vault_nav"], lw=1, label="vault NAV")
    if "treasury_balance" in ts:
        ax.plot(ts["step"], ts["treasury_balance"], lw=1, label="treasury")
    ax.set_ylabel("balance (stablecoins)")
    ax.legend(loc="best", fontsize=8)


@_needs("proposals_passed", "proposals_failed")
def _governance(ax, ts):
    ax.step(ts["step"], ts["proposals_passed"], where="post", label="passed")
    ax.step(ts["step"], ts["proposals_failed"], where="post", label="failed")
    if "treasury_injected" in ts:
        ax2 = ax.twinx()
        ax2.plot(ts["step"], ts["treasury_injected"], color="C2", lw=1, label="injected")
        ax2.set_ylabel("treasury injected (stablecoins)")
    ax.set_ylabel("proposals (count)")
    ax.legend(loc="upper left", fontsize=8)


_RUN_PLOTS = (
    ("prices", "Reference price and the oracle's mark price (red: trading halted)", _prices),
    ("fund", "Insurance fund and its ratio to open interest (or TVL) against the target", _fund),
    (
        "waterfall",
        "Bad debt by the stage of the waterfall that absorbed it (cumulative)",
        _waterfall,
    ),
    ("liquidations", "Liquidations", _liquidations),
    ("open_interest", "Open interest", _open_interest),
    ("vault", "LP vault and treasury", _vault),
    ("governance", "Governance proposals and treasury injections", _governance),
)


# -- a sweep ----------------------------------------------------------------------------
def _sweep_report(d: Path, overwrite: bool) -> Report:
    spec = sweep_status(d)
    runs = read_runs(d)
    if runs.empty:
        raise ValueError(f"{d} has no finished runs yet")
    incomplete = spec["incomplete"]
    grid = [p for p in spec.get("grid", {}) if p in runs.columns]
    agg = aggregate(runs, grid)
    market_runs = read_market_runs(d, runs)
    markets = aggregate(market_runs, grid, by_market=True) if market_runs is not None else None
    metrics = [m for m in METRICS if m in runs.columns and m != "fund_depleted_step"]
    dest = d / "report"
    images: list[tuple[str, str]] = []
    with atomic_dir(dest, overwrite=overwrite) as tmp:
        if grid:
            for param in grid:
                for metric in metrics:
                    name = f"{metric}__{_slug(param)}.png"
                    _band_plot(runs, param, [p for p in grid if p != param], metric, tmp / name)
                    images.append((name, f"{metric} against {param}"))
        else:
            for metric in metrics:
                name = f"{metric}.png"
                _histogram(runs, metric, tmp / name)
                images.append((name, f"{metric} over {len(runs)} seeds"))
        long = aggregate_long(runs, grid)
        header = [*grid, "runs", "metric", "statistic", "estimate", "95 % interval", "method"]
        header.append("condition")
        rows = [
            [*(r[g] for g in grid), r["runs"], r["metric"], r["statistic"], _cell(r["estimate"]),
             f"[{_cell(r['lo'])}, {_cell(r['hi'])}]", r["method"], r["condition"] or "all runs"]
            for _, r in long.iterrows()
        ]  # fmt: skip
        tables = [("Every statistic, with its 95 % interval (long form)", header, rows)]
        if markets is not None:
            tables.insert(0, _market_rows(markets, grid))
        page = PAGE.render(
            title=f"abm sweep {d.name}",
            heading=f"Sweep: {spec.get('scenario')}, {len(runs)} runs, "
            f"{spec.get('steps')} steps each",
            warning=incomplete,
            description=SWEEP_NOTE,
            tables=tables,
            figures=images,
            parameters=_parameters(
                {"grid": spec.get("grid"), "seeds": spec.get("seeds")}, spec.get("config", {})
            ),
        )
        (tmp / "index.html").write_text(page)
    return Report(
        dest / "index.html",
        [dest / n for n, _ in images],
        aggregate=agg,
        grid=grid,
        incomplete=incomplete,
        aggregate_markets=markets,
    )


MARKET_STATISTICS = (
    ("bad_debt_mean", "bad debt, mean (Student t)"),
    ("fund_paid_mean", "fund paid, mean (Student t)"),
    ("fund_share_mean", "share of fund payouts, mean (Student t)"),
    ("var_95", "VaR 95: uncovered bad debt, p95 (bootstrap)"),
    ("lar_95", "LaR 95: liquidated notional, p95 (bootstrap)"),
    ("liquidations_mean", "liquidations, mean (Student t)"),
    ("peak_oi_p50", "peak open interest, median (bootstrap)"),
    ("p_fund_depleted", "P(its fund ran dry) (Wilson)"),
)
"""The per-market table's columns and how each interval was made."""


def _market_rows(agg: pd.DataFrame, grid: list[str]) -> tuple[str, list[str], list[list[str]]]:
    """One row per grid point and market: each headline statistic with its interval."""
    stats = [(c, label) for c, label in MARKET_STATISTICS if c in agg.columns]
    header = [*grid, "market", "runs", *(label for _, label in stats)]
    rows = [
        [*(r[g] for g in grid), r["market"], r["runs"],
         *(f"{_cell(r[c])} [{_cell(r[f'{c}_lo'])}, {_cell(r[f'{c}_hi'])}]" for c, _ in stats)]
        for _, r in agg.iterrows()
    ]  # fmt: skip
    caption = "Per market, with 95 % intervals (every statistic: aggregate_markets_long.csv)"
    return caption, header, rows


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _band_plot(runs, param, others, metric, path) -> None:
    """Median with the 5-95 % band over seeds and the mean dashed; for a yes/no metric
    (the fund ran dry) the share of runs with its Wilson interval instead."""
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=DPI)
    values = list(dict.fromkeys(runs[param]))
    numeric = all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values
    )
    if numeric:
        values = sorted(values)
    binary = runs[metric].dropna().isin([0, 1, True, False]).all() and metric == "fund_depleted"
    groups = runs.groupby(others, sort=True) if others else [((), runs)]
    for i, (key, g) in enumerate(groups):
        cells = [g.loc[g[param] == v, metric].to_numpy(dtype=float) for v in values]
        cells = [x[~np.isnan(x)] for x in cells]
        xs = np.array(values, dtype=float) if numeric else np.arange(len(values))
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{o}={k}" for o, k in zip(others, key, strict=True))
        color = f"C{i % 10}"
        if binary:
            shares = [proportion(int(x.sum()), x.size) for x in cells]
            mid = np.array([s.estimate for s in shares])
            lo, hi = np.array([s.lo for s in shares]), np.array([s.hi for s in shares])
            ax.fill_between(
                xs, lo, hi, color=color, alpha=0.2, label=_join(label, "95 % Wilson interval")
            )
            ax.plot(xs, mid, marker="o", color=color, label=_join(label, "share of runs"))
        else:
            q = [np.percentile(x, (5, 50, 95)) if x.size else (np.nan,) * 3 for x in cells]
            lo, mid, hi = (np.array(c) for c in zip(*q, strict=True))
            mean = np.array([x.mean() if x.size else np.nan for x in cells])
            ax.fill_between(
                xs, lo, hi, color=color, alpha=0.2, label=_join(label, "5-95 % of seeds")
            )
            ax.plot(xs, mid, marker="o", color=color, label=_join(label, "median"))
            ax.plot(xs, mean, ls="--", color=color, lw=0.8, label=_join(label, "mean"))
    if not numeric:
        ax.set_xticks(np.arange(len(values)), [str(v) for v in values], rotation=20)
    ax.set_xlabel(param)
    ax.set_ylabel("P(fund depleted)" if binary else f"{metric} ({_unit(metric)})")
    ax.set_title(DESCRIPTIONS.get(metric, metric), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _join(group: str, what: str) -> str:
    return f"{group}: {what}" if group else what


def _unit(metric: str) -> str:
    if metric in {"liquidations", "halted_steps", "proposals_passed", "proposals_failed"}:
        return "count"
    if metric in {"max_drawdown", "min_fund_to_oi", "min_price_ratio", "final_price_ratio"}:
        return "ratio"
    if metric in {"fund_depleted_step"}:
        return "step"
    return "stablecoins"


def _hours(step_hours: float) -> str:
    return "1 h" if step_hours == 1 else f"{step_hours:g} h"


def _parameters(asked: dict[str, Any], config: dict[str, Any]) -> list[tuple[str, str]]:
    """What was asked (overrides, grid, seeds) and the full resolved scenario."""
    rows = [(k, json.dumps(v, default=str)) for k, v in asked.items() if v not in (None, {}, [])]
    rows.append(("resolved scenario", json.dumps(config, indent=1, default=str)))
    return rows


def _histogram(runs, metric, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=DPI)
    x = runs[metric].to_numpy(dtype=float)
    ax.hist(x[~np.isnan(x)], bins=30, color="C0")
    ax.set_xlabel(f"{metric} ({_unit(metric)})")
    ax.set_ylabel("runs (count)")
    ax.set_title(DESCRIPTIONS.get(metric, metric), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- HTML -------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return "-" if value is None else str(value)


SWEEP_NOTE = (
    "VaR: 95th percentile of bad debt the insurance fund did not cover. LaR: 95th "
    "percentile of liquidated notional. Intervals: Wilson for P(fund depleted), Student t "
    "for means, percentile bootstrap (seeded) for percentiles, VaR and LaR. Plots: band = "
    "5th to 95th percentile over seeds, solid line = median, dashed = mean; for P(fund "
    "depleted) the share of runs with its Wilson interval."
)

PAGE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;font-size:12px;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}
td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:0.5em}figcaption{font-size:12px;color:#555}
.warning{background:#fde8e8;border:1px solid #c00;padding:0.5em;font-weight:bold}
pre{font-size:11px;white-space:pre-wrap}
</style></head><body>
<h1>{{ heading }}</h1>
{% if warning %}<p class="warning">{{ warning }}</p>{% endif %}
{% if description %}<p>{{ description }}</p>{% endif %}
{% for caption, header, rows in tables %}
<h2>{{ caption }}</h2>
<table><thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>
{% endfor %}
{% for name, caption in figures %}
<figure><img src="{{ name }}" alt="{{ caption }}"><figcaption>{{ caption }}</figcaption></figure>
{% endfor %}
<h2>Parameters</h2>
{% for key, value in parameters %}
<details{% if not loop.last %} open{% endif %}>
<summary>{{ key }}</summary><pre>{{ value }}</pre></details>
{% endfor %}
</body></html>
"""
)


# -- fund sizing ------------------------------------------------------------------------
def frontier_plot(frame: pd.DataFrame, param: str, target: Any, path: Path) -> Path:
    """The sizing frontier: P(target event) with its interval against the sized parameter,
    the target threshold as a line, and VaR and LaR on a second panel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), dpi=DPI, sharex=True)
    x = frame[param].to_numpy(dtype=float)
    p = frame["p_target"].to_numpy(dtype=float)
    err = [p - frame["p_target_lo"].to_numpy(dtype=float), frame["p_target_hi"] - p]
    top.errorbar(x, p, yerr=err, fmt="o-", capsize=3, label="P(target event), 95 % interval")
    top.axhline(target.threshold, color="C3", ls="--", label=f"target: {target.text}")
    top.set_ylabel("probability")
    top.legend(fontsize=8)
    bottom.plot(x, frame["var_95"], "o-", label="VaR 95 (uncovered bad debt, stablecoins)")
    bottom.plot(x, frame["lar_95"], "s--", label="LaR 95 (liquidated notional, stablecoins)")
    bottom.set_ylabel("stablecoins")
    bottom.set_xlabel(param)
    bottom.legend(fontsize=8)
    if (x > 0).all():
        bottom.set_xscale("log")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# -- sensitivity ------------------------------------------------------------------------
def tornado_plot(indices: pd.DataFrame, key: str, conf: str, path: Path) -> Path:
    """One panel per outcome: the parameters' indices as horizontal bars, largest on top,
    with their 95 % bootstrap half-widths."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metrics = list(dict.fromkeys(indices["metric"]))
    fig, axes = plt.subplots(
        len(metrics), 1, figsize=(7, 1.2 + 0.45 * len(indices)), dpi=DPI, squeeze=False
    )
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        rows = indices[indices["metric"] == metric].sort_values(key)
        ax.barh(rows["parameter"], rows[key], xerr=rows[conf], color="C0", capsize=3)
        ax.set_title(f"{metric} ({DESCRIPTIONS.get(metric, metric)})", fontsize=9)
        ax.set_xlabel(
            "mean absolute elementary effect (metric units)" if key == "mu_star"
            else "total Sobol index (share of variance)"
        )  # fmt: skip
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
