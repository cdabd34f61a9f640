"""The `abm` command: the classroom app, presets, runs, sweeps and reports.

    abm app
    abm list
    abm show flash_crash
    abm run flash_crash --seed 7 --steps 2000 --out runs/flash
    abm sweep flash_crash --set exchange.penalty_rate=0.005,0.01,0.02 --seeds 200 \\
        --steps 2000 --workers 2 --out sweeps/pen
    abm report sweeps/pen

Bad input (an unknown preset or key, a value out of range, a missing or malformed file)
prints one line naming the field and what is allowed, and exits with status 2 without
writing anything.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

HIDDEN_METRICS = frozenset(
    {"uncovered_bad_debt", "min_treasury", "fund_depleted", "final_price_ratio"}
)
"""Metrics a run's summary table leaves out (the rest are printed in `METRICS` order)."""
SWEEP_COLUMNS = (
    "p_fund_depleted",
    "var_95",
    "lar_95",
    "min_fund_p50",
    "bad_debt_p95",
    "adl_volume_p95",
)

MARKET_COLUMNS = ("bad_debt_mean", "fund_paid_mean", "var_95", "lar_95", "p_fund_depleted")
"""The per-market table's statistics: mean bad debt and fund paid (Student t), VaR and
LaR (percentile bootstrap), P(the fund the market draws on ran dry) (Wilson)."""
MARKET_NOTE = (
    "per market, 95 % intervals: Student t for means, percentile bootstrap for VaR and LaR, "
    "Wilson for P(fund depleted)"
)

INTERVAL_NOTE = (
    "intervals: Wilson for P(fund depleted), percentile bootstrap for quantiles (VaR, LaR, pN)"
)


class UsageError(ValueError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        command = self.prog.removeprefix("abm").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def summary_table(summary: dict[str, Any], title: str) -> Table:
    """Commands import what they need when they run: `abm --help` and `abm list` need
    neither Mesa nor pandas."""
    from .batch.metrics import DESCRIPTIONS, METRICS

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    for key in METRICS:
        if key in summary and key not in HIDDEN_METRICS:
            table.add_row(key, _fmt(summary[key]), DESCRIPTIONS.get(key, ""))
    return table


def aggregate_table(agg, grid: Sequence[str], title: str) -> Table:
    """The sweep's headline statistics in long form (one row per grid point and
    statistic), each with its 95 % interval, so that it fits a narrow terminal."""
    table = Table(title=title, title_justify="left", caption=INTERVAL_NOTE)
    for c in (*grid, "runs", "statistic", "estimate", "95 % interval"):
        table.add_column(c, justify="left" if c == "statistic" else "right")
    for _, row in agg.iterrows():
        for c in (c for c in SWEEP_COLUMNS if c in agg.columns):
            cells = [_fmt(row[g]) for g in grid] + [_fmt(row["runs"]), c, _fmt(row[c])]
            table.add_row(*cells, f"[{_fmt(row.get(f'{c}_lo'))}, {_fmt(row.get(f'{c}_hi'))}]")
        table.add_section()
    return table


def market_table(agg, grid: Sequence[str], title: str) -> Table:
    """The per-market aggregate: one row per grid point and market, each statistic with
    its 95 % interval below it."""
    table = Table(title=title, title_justify="left", caption=MARKET_NOTE)
    stats = [c for c in MARKET_COLUMNS if c in agg.columns]
    for c in (*grid, "market", "runs", *stats):
        table.add_column(c, justify="left" if c == "market" else "right")
    for _, row in agg.iterrows():
        cells = [_fmt(row[c]) for c in (*grid, "market", "runs")]
        for c in stats:
            cells.append(f"{_fmt(row[c])}\n[{_fmt(row[f'{c}_lo'])}, {_fmt(row[f'{c}_hi'])}]")
        table.add_row(*cells)
    return table


# -- commands ---------------------------------------------------------------------------
def cmd_list(args, out: Console) -> int:
    from .scenarios import list_presets, presets_dir

    presets = list_presets()
    if not presets:
        out.print(f"no presets in {presets_dir()}")
        return 0
    width = max(map(len, presets))
    for name, description in presets.items():
        out.print(f"{name:<{width}}  {description}", soft_wrap=True)
    return 0


def cmd_show(args, out: Console) -> int:
    from .scenarios import load_scenario
    from .scenarios.tomlout import dumps

    sc = load_scenario(args.scenario, _overrides(args.set))
    text = dumps(sc.to_dict())
    header = f"# {sc.name}: every field resolved"
    if sc.extends:
        header += f" (extends {sc.extends})"
    out.file.write(f"{header}\n{text}")
    return 0


def _overrides(assignments: Sequence[str] | None) -> dict[str, Any]:
    from .scenarios import parse_assignment, parse_value

    pairs = [parse_assignment(a) for a in assignments or ()]
    return {path: parse_value(value) for path, value in pairs}


def cmd_run(args, out: Console) -> int:
    from .batch import RUN_FILES, run
    from .scenarios import load_scenario

    overrides = _overrides(args.set)
    if args.out:
        dest = Path(args.out)
    else:
        sc = load_scenario(args.scenario, overrides)
        seed = sc.run.seed if args.seed is None else args.seed
        dest = Path("runs") / f"{sc.name or 'scenario'}-seed{seed}"
    result = run(
        args.scenario,
        seed=args.seed,
        steps=args.steps,
        overrides=overrides,
        out=dest,
        overwrite=args.force,
        check=args.check,
    )
    title = f"{result.summary['scenario']}  seed {result.seed}  {result.steps} steps"
    out.print(summary_table(result.summary, title))
    files = (*RUN_FILES, "markets.parquet") if result.markets is not None else RUN_FILES
    out.print(f"wrote {dest}/: {', '.join(files)}")
    return 0


def cmd_sweep(args, out: Console) -> int:
    from .batch import run_sweep

    dest = Path(args.out) if args.out else None
    if dest is None:
        from .scenarios import load_scenario

        dest = Path("sweeps") / (load_scenario(args.scenario).name or "sweep")
    result = run_sweep(
        args.scenario,
        args.grid or [],
        seeds=args.seeds,
        steps=args.steps,
        overrides=_overrides(args.fix),
        workers=args.workers or 1,
        out=dest,
        resume=args.resume,
        overwrite=args.force,
        dask=args.dask,
        chunk_size=args.chunk_size,
        progress=False if args.quiet else None,
        by_market=args.by_market,
    )
    from .batch.progress import clock_text
    from .batch.sweep import MARKET_FILES

    grid = [c for c in result.runs.columns if "." in c]
    n = len(result.runs)
    title = f"{n} runs ({result.executed} run now), elapsed {clock_text(result.elapsed)}"
    out.print(aggregate_table(result.aggregate, grid, title))
    files = ["runs.parquet", "aggregate.parquet", "aggregate.csv", "aggregate_long.csv"]
    if result.aggregate_markets is not None:
        out.print(market_table(result.aggregate_markets, grid, "per market"))
        files += MARKET_FILES
    out.print(f"wrote {dest}/: {', '.join([*files, 'sweep.json'])}")
    return 0


def cmd_compare(args, out: Console) -> int:
    from .batch.compare import compare

    result = compare(
        args.policies,
        seeds=args.seeds,
        steps=args.steps,
        overrides=_overrides(args.fix),
        workers=args.workers or 1,
        dask=args.dask,
        out=args.out,
        resume=args.resume,
        overwrite=args.force,
        progress=False if args.quiet else None,
    )
    n = len(result.seeds)
    table = Table(
        title=f"paired differences (policy - baseline) over {n} common seeds",
        title_justify="left",
        caption="t interval on paired differences; Newcombe's interval for P(fund depleted)",
    )
    for c in ("policy", "metric", "baseline", "policy mean", "difference", "95 % interval", "sig."):
        table.add_column(c, justify="left" if c in ("policy", "metric") else "right")
    for r in result.table.itertuples(index=False):
        table.add_row(
            r.policy,
            r.metric,
            _fmt(r.baseline_mean),
            _fmt(r.policy_mean),
            _fmt(r.difference),
            f"[{_fmt(r.lo)}, {_fmt(r.hi)}]",
            "yes" if r.significant else "no",
        )
    out.print(f"baseline: {result.table['baseline'].iloc[0]}")
    out.print(table)
    if args.out:
        out.print(f"wrote {args.out}/compare.csv and one sweep folder per policy")
    return 0


def cmd_size_fund(args, out: Console) -> int:
    from .batch.sizing import size_fund
    from .report import frontier_plot

    values = [float(v) for v in args.values.split(",")] if args.values else None
    dest = Path(args.out) if args.out else Path("sizing") / Path(args.scenario).stem
    result = size_fund(
        args.scenario,
        target=args.target,
        stress=args.stress,
        param=args.param,
        values=values,
        seeds=args.seeds,
        max_seeds=args.max_seeds,
        steps=args.steps,
        overrides=_overrides(args.fix),
        workers=args.workers or 1,
        dask=args.dask,
        out=dest,
        progress=False if args.quiet else None,
    )
    frame = result.frontier_frame()
    table = Table(title=f"frontier: {result.target.text}", title_justify="left")
    for c in (args.param, "seeds", "P(target)", "95 % interval", "meets", "VaR 95", "LaR 95"):
        table.add_column(c, justify="right")
    for _, r in frame.iterrows():
        meets = {True: "yes", False: "no"}.get(r["meets"], "undecided")
        interval = f"[{_fmt(r['p_target_lo'])}, {_fmt(r['p_target_hi'])}]"
        table.add_row(
            _fmt(r[args.param]), _fmt(int(r["seeds"])), _fmt(r["p_target"]), interval, meets,
            _fmt(r["var_95"]), _fmt(r["lar_95"]),
        )  # fmt: skip
    out.print(table)
    frontier_plot(frame, args.param, result.target, dest / "frontier.png")
    a = result.answer
    if a is None:
        out.print(f"no candidate meets {result.target.text}: the largest is not shown to meet it")
    else:
        out.print(
            f"answer: {args.param} = {_fmt(a.value)}: P = {_fmt(a.share.estimate)} "
            f"[{_fmt(a.share.lo)}, {_fmt(a.share.hi)}] ({a.share.method}, {a.seeds} seeds "
            "per stress scenario)"
        )
    out.print(f"{result.runs} runs now; wrote {dest}/frontier.csv and frontier.png")
    return 0


INDEX_MEANING = {"mu_star": "mean absolute elementary effect", "ST": "total Sobol index"}


def cmd_sensitivity(args, out: Console) -> int:
    from .batch.sensitivity import parse_ranges, sensitivity
    from .report import tornado_plot

    dest = Path(args.out) if args.out else Path("sensitivity") / Path(args.scenario).stem
    result = sensitivity(
        args.scenario,
        parse_ranges(args.param or []),
        method=args.method,
        samples=args.samples,
        seeds=args.seeds,
        metrics=args.metric.split(",") if args.metric else None,
        steps=args.steps,
        overrides=_overrides(args.fix),
        workers=args.workers or 1,
        dask=args.dask,
        out=dest,
        resume=args.resume,
        progress=False if args.quiet else None,
    )
    key, conf = ("mu_star", "mu_star_conf") if args.method == "morris" else ("ST", "ST_conf")
    table = Table(
        title=f"{args.method} sensitivity over {len(result.samples)} points x {args.seeds} seeds",
        title_justify="left",
        caption=f"{key}: {INDEX_MEANING[key]}, with its 95 % bootstrap half-width",
    )
    for c in ("metric", "parameter", key, "+/-"):
        table.add_column(c, justify="left" if c in ("metric", "parameter") else "right")
    for r in result.indices.itertuples(index=False):
        table.add_row(r.metric, r.parameter, _fmt(getattr(r, key)), _fmt(getattr(r, conf)))
    out.print(table)
    from .batch.io import write_csv

    write_csv(result.indices, dest / "indices.csv")
    tornado_plot(result.indices, key, conf, dest / "tornado.png")
    out.print(f"wrote {dest}/: indices.csv, tornado.png and the sweep of the sample points")
    return 0


def cmd_report(args, out: Console) -> int:
    from .report import report

    rep = report(args.dir, overwrite=True)
    if rep.incomplete:
        Console(stderr=True, highlight=False, markup=False).print(f"abm: warning: {rep.incomplete}")
    if rep.summary is not None:
        out.print(summary_table(rep.summary, f"run {args.dir}"))
    if rep.aggregate is not None:
        title = f"sweep {args.dir}" + (" (INCOMPLETE)" if rep.incomplete else "")
        out.print(aggregate_table(rep.aggregate, rep.grid, title))
    if rep.aggregate_markets is not None:
        out.print(market_table(rep.aggregate_markets, rep.grid, "per market"))
    out.print(f"wrote {rep.html} and {len(rep.images)} plots")
    return 0


def app_path() -> Path:
    """The classroom app's page: `viz/app.py` in a checkout, else where a wheel installs it
    (`<prefix>/share/abm/app/viz/app.py`, off `sys.path`: the app is not a global package)."""
    checkout = Path(__file__).resolve().parents[1]
    for root in (checkout, Path(sys.prefix) / "share" / "abm" / "app"):
        if (root / "viz" / "app.py").is_file():
            return root / "viz" / "app.py"
    raise UsageError("the classroom app is not installed (viz/app.py not found)")


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line `UsageError` if the app could not listen on `host`:`port`."""
    import socket

    if port == 0:
        return
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"cannot serve the app on {host}:{port} ({reason}); "
            "pick another port with --port, or --port 0 for any free one"
        ) from None


def cmd_app(args, out: Console) -> int:
    """Become `solara run viz/app.py` (exec: signals go straight to the server)."""
    import os

    check_port_free(args.host, args.port)
    cmd = [sys.executable, "-m", "solara", "run", str(app_path())]
    cmd += ["--host", args.host, "--port", str(args.port)]
    cmd.append("--no-open" if args.no_open else "--open")
    sys.stdout.flush()
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover - execv does not return


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="abm", description="Perpetual-futures exchange simulation: scenarios, runs, sweeps."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")

    a = command("app", "open the classroom app in the browser (Solara)")
    a.add_argument(
        "--host",
        default="localhost",
        help="address to listen on; 0.0.0.0 serves the page to other machines (a class)",
    )
    a.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    a.add_argument("--no-open", action="store_true", help="do not open a browser")

    command("list", "list the preset scenarios, one line each")

    s = command("show", "print a scenario as TOML with every field resolved")
    s.add_argument("scenario", help="preset name or path to a .toml file")
    s.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a field")

    r = command("run", "run a scenario once and write its tables")
    r.add_argument("scenario", help="preset name or path to a .toml file")
    r.add_argument("--seed", type=int, help="random seed (default: the scenario's run.seed)")
    r.add_argument("--steps", type=int, help="steps to run (default: the scenario's run.steps)")
    r.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field, e.g. exchange.penalty_rate=0.01 (repeatable)",
    )
    r.add_argument("--out", help="output folder (default: runs/<scenario>-seed<seed>)")
    r.add_argument("--force", action="store_true", help="replace the output folder")
    r.add_argument("--check", action="store_true", help="check conservation after every step")

    w = command("sweep", "run a grid of fields x seeds in parallel")
    w.add_argument("scenario", help="preset name or path to a .toml file")
    w.add_argument(
        "--set",
        dest="grid",
        action="append",
        metavar="PATH=V1,V2,...",
        help="values to sweep, e.g. exchange.penalty_rate=0.005,0.01 (repeatable: a grid)",
    )
    w.add_argument(
        "--fix", action="append", metavar="PATH=VALUE", help="override a field at every point"
    )
    w.add_argument("--seeds", type=int, default=10, help="seeds per grid point (default 10)")
    w.add_argument("--steps", type=int, help="steps per run (default: the scenario's run.steps)")
    w.add_argument(
        "--workers", type=int, help="local worker processes (default 1; not with --dask)"
    )
    w.add_argument("--chunk-size", type=int, help="runs per task sent to a worker")
    w.add_argument("--out", help="output folder (default: sweeps/<scenario>)")
    w.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted sweep, or add seeds to a finished one",
    )
    w.add_argument("--force", action="store_true", help="replace the output folder")
    w.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    w.add_argument(
        "--by-market",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also summarise and aggregate per market (default: on when the scenario has "
        "[[markets]])",
    )
    w.add_argument(
        "--quiet",
        action="store_true",
        help="no progress (a bar on a terminal, otherwise a log line every 30 s)",
    )

    rp = command("report", "plots and an HTML page for a run or a sweep folder")
    rp.add_argument("dir", help="a folder written by `abm run` or `abm sweep`")

    c = command("compare", "compare policies on common seeds: paired differences")
    c.add_argument("policies", nargs="+", help="presets or .toml files; the first is the baseline")
    c.add_argument("--seeds", type=int, default=30, help="common seeds (default 30)")
    _run_options(c)
    c.add_argument("--out", help="folder for compare.csv and one sweep folder per policy")
    c.add_argument("--resume", action="store_true", help="reuse the runs already in --out")
    c.add_argument("--force", action="store_true", help="replace the output folder")

    z = command("size-fund", "smallest fund (or --param) that meets a risk target")
    z.add_argument("scenario", help="preset name or path to a .toml file")
    z.add_argument("--target", required=True, help='e.g. "P(depleted within 30 days) < 1%%"')
    z.add_argument("--stress", help="stress scenarios, e.g. flash_crash:2,oracle_failure")
    z.add_argument("--param", default="exchange.initial_fund", help="the parameter to size")
    z.add_argument("--values", help="candidate values, e.g. 1e5,2e5,5e5 (default: geometric)")
    z.add_argument("--seeds", type=int, default=20, help="first seeds per candidate (default 20)")
    z.add_argument("--max-seeds", type=int, default=640, help="most seeds per candidate")
    _run_options(z)
    z.add_argument("--out", help="folder for the runs and the frontier (default sizing/<name>)")

    v = command("sensitivity", "Morris or Sobol sensitivity of the fund's outcomes")
    v.add_argument("scenario", help="preset name or path to a .toml file")
    v.add_argument(
        "--param", action="append", metavar="PATH=LOW:HIGH", help="a parameter and its range"
    )
    v.add_argument("--method", choices=("morris", "sobol"), default="morris")
    v.add_argument(
        "--samples", type=int, default=10, help="Morris trajectories or Sobol base samples"
    )
    v.add_argument("--seeds", type=int, default=2, help="common seeds per point (default 2)")
    v.add_argument("--metric", help="outcomes, e.g. min_fund,uncovered_bad_debt")
    _run_options(v)
    v.add_argument("--out", help="output folder (default sensitivity/<name>)")
    v.add_argument("--resume", action="store_true", help="reuse the runs already in --out")
    return p


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, help="steps per run (default: the scenario's run.steps)")
    p.add_argument("--fix", action="append", metavar="PATH=VALUE", help="override a field")
    p.add_argument(
        "--workers", type=int, help="local worker processes (default 1; not with --dask)"
    )
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster")
    p.add_argument("--quiet", action="store_true", help="no progress")


COMMANDS = {
    "app": cmd_app,
    "list": cmd_list,
    "show": cmd_show,
    "run": cmd_run,
    "sweep": cmd_sweep,
    "report": cmd_report,
    "compare": cmd_compare,
    "size-fund": cmd_size_fund,
    "sensitivity": cmd_sensitivity,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `abm` console script; returns the exit status."""
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    out = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 160)
    try:
        args = build_parser().parse_args(argv)
        for flag in ("seeds", "workers", "chunk_size", "max_seeds", "samples"):
            value = getattr(args, flag, None)
            if value is not None and value < 1:
                name = flag.replace("_", "-")
                raise UsageError(f"--{name} must be an integer >= 1, got {value}")
        if getattr(args, "workers", None) is not None and getattr(args, "dask", None):
            raise UsageError("--workers is for local processes; a --dask cluster has its own")
        return COMMANDS[args.command](args, out)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except KeyboardInterrupt:
        err.print("abm: interrupted; finished sweep runs are kept (continue with --resume)")
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as exc:
        err.print(f"abm: error: {exc}")
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
