"""`abm report DIR`: PNG plots and one HTML page for a run folder or a sweep folder.

For a sweep, every metric is plotted against every swept parameter: the median with a
5-95 % band (and the mean dashed), one line per combination of the other parameters.
For a single run, the main time series: prices, the fund, bad debt by waterfall stage,
liquidations, open interest, the LP vault (and governance, when present). The files go
to `DIR/report/`, which is replaced as a whole.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .batch.aggregate import aggregate
from .batch.io import atomic_dir
from .batch.metrics import DESCRIPTIONS, METRICS, WATERFALL_METRICS
from .batch.sweep import read_runs, sweep_status

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
    images: list[tuple[str, str]] = []
    with atomic_dir(dest, overwrite=overwrite) as tmp:
        for name, caption, draw in _RUN_PLOTS:
            if not _has(ts, draw):
                continue
            fig, ax = plt.subplots(figsize=(8, 3.2), dpi=DPI)
            draw(ax, ts)
            _shade_halts(ax, ts)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            fig.tight_layout()
            fig.savefig(tmp / f"{name}.png")
            plt.close(fig)
            images.append((f"{name}.png", caption))
        info = summary.get("config", {}).get("info", {})
        rows = [(k, _cell(v), DESCRIPTIONS.get(k, "")) for k, v in summary.items() if k in METRICS]
        body = [
            f"<h1>Run: {html.escape(str(summary.get('scenario')))}, seed {summary.get('seed')}, "
            f"{summary.get('steps')} steps</h1>",
            f"<p>{html.escape(info.get('description', ''))}</p>",
            _table(["metric", "value", "meaning"], rows),
            *_figures(images),
        ]
        (tmp / "index.html").write_text(_page(f"abm run {d.name}", body))
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
    ax.set_ylabel("price")
    ax.legend(loc="best", fontsize=8)


@_needs("insurance_fund", "fund_to_oi")
def _fund(ax, ts):
    ax.plot(ts["step"], ts["insurance_fund"], color="C2", lw=1.2, label="insurance fund")
    ax.set_ylabel("fund")
    ax2 = ax.twinx()
    ax2.plot(ts["step"], ts["fund_to_oi"], color="C1", lw=0.8, alpha=0.7, label="fund / OI")
    ax2.set_ylabel("fund / open interest")
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
    ax.stackplot(ts["step"], *stages.values(), labels=list(stages), alpha=0.8)
    ax.set_ylabel("cumulative bad debt")
    ax.legend(loc="upper left", fontsize=8)


@_needs("liquidation_volume", "liquidations")
def _liquidations(ax, ts):
    vol = ts["liquidation_volume"].diff().fillna(0.0)
    ax.bar(ts["step"], vol, width=1.0, color="C3", label="liquidated notional per step")
    ax.set_ylabel("notional")
    ax2 = ax.twinx()
    ax2.plot(ts["step"], ts["liquidations"], color="k", lw=0.8, label="liquidations (cumulative)")
    ax2.set_ylabel("count")
    handles = [*ax.get_legend_handles_labels()[0], *ax2.get_lines()]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8)


@_needs("long_oi", "short_oi")
def _open_interest(ax, ts):
    ax.plot(ts["step"], ts["long_oi"], lw=1, label="long OI")
    ax.plot(ts["step"], ts["short_oi"], lw=1, label="short OI")
    ax.set_ylabel("open interest")
    ax.legend(loc="best", fontsize=8)


@_needs("lp_vault", "vault_nav")
def _vault(ax, ts):
    ax.plot(ts["step"], ts["lp_vault"], lw=1, label="vault balance")
    ax.plot(ts["step"], ts["vault_nav"], lw=1, label="vault NAV")
    if "treasury_balance" in ts:
        ax.plot(ts["step"], ts["treasury_balance"], lw=1, label="treasury")
    ax.set_ylabel("stablecoins")
    ax.legend(loc="best", fontsize=8)


@_needs("proposals_passed", "proposals_failed")
def _governance(ax, ts):
    ax.step(ts["step"], ts["proposals_passed"], where="post", label="passed")
    ax.step(ts["step"], ts["proposals_failed"], where="post", label="failed")
    if "treasury_injected" in ts:
        ax2 = ax.twinx()
        ax2.plot(ts["step"], ts["treasury_injected"], color="C2", lw=1, label="injected")
        ax2.set_ylabel("treasury injected")
    ax.set_ylabel("proposals")
    ax.legend(loc="upper left", fontsize=8)


_RUN_PLOTS = (
    ("prices", "Reference price and the oracle's mark price (red: trading halted)", _prices),
    ("fund", "Insurance fund and fund / open interest", _fund),
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
        cols = [*grid, "runs", "p_fund_depleted", "var_95", "lar_95"]
        cols += [c for c in agg.columns if c.endswith(("_mean", "_p5", "_p50", "_p95"))]
        body = [
            f"<h1>Sweep: {html.escape(str(spec.get('scenario')))}, {len(runs)} runs, "
            f"{spec.get('steps')} steps each</h1>",
            *([f'<p class="warning">{html.escape(incomplete)}</p>'] if incomplete else []),
            "<p>VaR: 95th percentile of bad debt the insurance fund did not cover. "
            "LaR: 95th percentile of liquidated notional. Bands: 5th to 95th percentile "
            "over seeds; solid line: median; dashed: mean.</p>",
            _table(cols, [[_cell(r[c]) for c in cols] for _, r in agg.iterrows()]),
            *_figures(images),
        ]
        (tmp / "index.html").write_text(_page(f"abm sweep {d.name}", body))
    return Report(
        dest / "index.html",
        [dest / n for n, _ in images],
        aggregate=agg,
        grid=grid,
        incomplete=incomplete,
    )


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _band_plot(runs, param, others, metric, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=DPI)
    values = list(dict.fromkeys(runs[param]))
    numeric = all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values
    )
    if numeric:
        values = sorted(values)
    groups = runs.groupby(others, sort=True) if others else [((), runs)]
    for i, (key, g) in enumerate(groups):
        stats = []
        for v in values:
            x = g.loc[g[param] == v, metric].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            stats.append(
                (np.percentile(x, 5), np.percentile(x, 50), np.percentile(x, 95), x.mean())
                if x.size
                else (np.nan,) * 4
            )
        lo, mid, hi, mean = (np.array(s) for s in zip(*stats, strict=True))
        xs = np.array(values, dtype=float) if numeric else np.arange(len(values))
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{o}={k}" for o, k in zip(others, key, strict=True)) or "median"
        color = f"C{i % 10}"
        ax.fill_between(xs, lo, hi, color=color, alpha=0.2)
        ax.plot(xs, mid, marker="o", color=color, label=label)
        ax.plot(xs, mean, ls="--", color=color, lw=0.8)
    if not numeric:
        ax.set_xticks(np.arange(len(values)), [str(v) for v in values], rotation=20)
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.set_title(DESCRIPTIONS.get(metric, metric), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _histogram(runs, metric, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=DPI)
    x = runs[metric].to_numpy(dtype=float)
    ax.hist(x[~np.isnan(x)], bins=30, color="C0")
    ax.set_xlabel(metric)
    ax.set_ylabel("runs")
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


def _table(header: list[str], rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(images: list[tuple[str, str]]) -> list[str]:
    return [
        f'<figure><img src="{html.escape(n)}" alt="{html.escape(c)}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for n, c in images
    ]


def _page(title: str, body: list[str]) -> str:
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1400px}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0;display:block;overflow-x:auto}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}"
        "figure{display:inline-block;margin:0.5em}figcaption{font-size:12px;color:#555}"
        ".warning{background:#fde8e8;border:1px solid #c00;padding:0.5em;font-weight:bold}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
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
