"""Sweeps: a grid of scenario fields × seeds, run in parallel, resumable, aggregated.

Layout of a sweep folder::

    sweep.json         what was asked: scenario config, grid, seeds, steps, version
    parts/*.parquet    per-chunk run summaries, written as chunks finish
    runs.parquet       all run summaries, one row per (grid point, seed), once complete
    aggregate.parquet  one row per grid point: mean and percentiles of every metric,
    aggregate.csv      P(fund depleted), VaR and LaR, each with its 95 % interval
    aggregate_long.csv the same in long form, one row per statistic, method named

With `by_market` (on by itself for a scenario with `[[markets]]`), the same per market::

    parts/markets-*.parquet    per-chunk per-market summaries (written before their part)
    runs_markets.parquet       one row per (grid point, seed, market)
    aggregate_markets.parquet  one row per grid point and market, as aggregate.parquet
    aggregate_markets.csv
    aggregate_markets_long.csv one row per grid point, market and statistic, method named

Seeds are common random numbers: seed k is the same at every grid point, so differences
between grid points are not seed noise. Runs go to a warm pool of worker processes in
chunks (many runs per task), or to a Dask cluster; every run depends only on its grid
point and seed, so the results do not depend on the number of workers or on where they
ran. An interrupted sweep keeps its finished chunks, and `resume=True` runs only the
missing (grid point, seed) pairs.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..agents.compat import release, step_of
from ..scenarios import ScenarioError, load_scenario, parse_assignment, parse_values
from .aggregate import aggregate_long, methods, wide
from .executors import DaskRunner, PoolRunner, Runner, report_run
from .io import (
    OutputExistsError,
    check_free,
    jsonable,
    remove_stale,
    remove_tree,
    write_csv,
    write_json,
    write_parquet,
)
from .metrics import summarize, summarize_markets
from .progress import Progress, make_progress
from .run import package_version, provenance, simulate, timeseries_frame

KEYS = ("point", "seed")
MARKET_KEYS = (*KEYS, "market")
MARKET_FILES = (
    "runs_markets.parquet",
    "aggregate_markets.parquet",
    "aggregate_markets.csv",
    "aggregate_markets_long.csv",
)


# -- what to run ------------------------------------------------------------------------
def parse_grid(assignments: Iterable[str]) -> dict[str, list[Any]]:
    """``["exchange.penalty_rate=0.005,0.01"]`` to ``{"exchange.penalty_rate": [0.005, 0.01]}``."""
    grid: dict[str, list[Any]] = {}
    for text in assignments:
        path, values = parse_assignment(text)
        if path in grid:
            raise ScenarioError(f"--set {path} is given twice")
        grid[path] = parse_values(values)
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first path varying slowest."""
    paths = list(grid)
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _listed_points(points: Sequence[Mapping[str, Any]], grid: Mapping) -> list[dict[str, Any]]:
    if grid:
        raise ScenarioError("give a grid or a list of points, not both")
    out = [dict(p) for p in points]
    if not out or any(set(p) != set(out[0]) for p in out):
        raise ScenarioError("points must be a non-empty list of dicts with the same paths")
    return out


def seed_list(seeds: int | Sequence[int], base: int) -> list[int]:
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ScenarioError(f"seeds must be at least 1, got {seeds}")
        return [base + k for k in range(int(seeds))]
    out = [int(s) for s in seeds]
    if not out or len(set(out)) != len(out):
        raise ScenarioError("seeds must be a non-empty list of distinct integers")
    return out


def _label(value: Any) -> Any:
    """A grid value as a table cell: scalars as they are, arrays and tables as text."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(jsonable(value))


# -- the worker side --------------------------------------------------------------------
def run_chunk(chunk: Sequence[tuple]) -> list[dict[str, Any]]:
    """Run (point, seed, model kwargs, steps[, by_market]) tuples; one summary row each,
    with the per-market summaries under ``"markets"`` when `by_market` is true.

    Runs in a worker process (or a Dask worker): everything it needs comes in `chunk`.
    """
    rows = []
    for task in chunk:  # a sweep keeps summaries only: no agent tables
        point, seed, kwargs, steps = task[:4]
        model = simulate({**kwargs, "rng": seed, "agent_sample_period": 0}, steps)
        depleted_below = model.exchange.fund.depleted_below
        metrics = summarize(timeseries_frame(model), depleted_below)
        rows.append({"point": point, "seed": seed, "steps": step_of(model), **metrics})
        if len(task) > 4 and task[4]:
            rows[-1]["markets"] = summarize_markets(model.market_frame(), depleted_below)
        report_run()
        release(model)
    return rows


# -- results on disk --------------------------------------------------------------------
def read_runs(out: Path) -> pd.DataFrame:
    """Every finished run in a sweep folder, each once: `runs.parquet` and the parts
    (a sweep killed after writing `runs.parquet` may still hold the parts it merged)."""
    runs = _merged_and_parts(out, "runs.parquet", "part-*.parquet", KEYS)
    return pd.DataFrame(columns=list(KEYS)) if runs is None else runs


def _merged_and_parts(
    out: Path, merged: str, parts: str, keys: Sequence[str]
) -> pd.DataFrame | None:
    """The merged table `merged` and every part file matching `parts`, each row once by
    `keys` (None: neither is on disk)."""
    frames = []
    if (out / merged).exists():
        frames.append(pd.read_parquet(out / merged))
    folder = out / "parts"
    if folder.is_dir():
        frames.extend(pd.read_parquet(p) for p in sorted(folder.glob(parts)))
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    return rows.drop_duplicates(list(keys), keep="first", ignore_index=True)


def read_market_runs(out: Path, runs: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Every finished run's per-market rows in a sweep folder, each once (None: the sweep
    was not per market); with `runs` (`read_runs(out)`), only the rows of those runs."""
    rows = _merged_and_parts(out, "runs_markets.parquet", "markets-*.parquet", MARKET_KEYS)
    if rows is None or runs is None:
        return rows
    return _in_runs(rows, runs).reset_index(drop=True)


def sweep_status(out: Path) -> dict[str, Any]:
    """What a sweep folder holds: its settings, how many of the runs it asked for are on
    disk (``runs_done`` of ``runs_total``) and, if some are missing, ``incomplete``: a
    sentence saying so (None when every run is there)."""
    spec = json.loads((out / "sweep.json").read_text())
    done = len(read_runs(out))
    listed = spec.get("points")
    n_points = len(listed) if listed is not None else len(grid_points(spec.get("grid", {})))
    total = n_points * len(spec.get("seeds", []))
    incomplete = None
    if done < total:
        incomplete = (
            f"incomplete sweep: {done} of {total} runs finished; "
            "continue it with `abm sweep ... --resume`"
        )
    return {**spec, "runs_done": done, "runs_total": total, "incomplete": incomplete}


def _rows_frame(rows: list[dict[str, Any]], points: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=[*KEYS, *(points[0] if points else {})])
    if "fund_depleted_step" in df:
        df["fund_depleted_step"] = df["fund_depleted_step"].astype("float64")
    for path in points[0] if points else {}:
        df[path] = [_label(points[p][path]) for p in df["point"]]
    return df


def _split_markets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take the per-market summaries out of `rows`: one row per run and market."""
    out = []
    for row in rows:
        for market in row.pop("markets", ()):
            out.append({"point": row["point"], "seed": row["seed"], **market})
    return out


def _market_frame(rows: list[dict[str, Any]], points: list[dict[str, Any]]) -> pd.DataFrame:
    """Per-market rows as a table: point, seed, the grid columns, market, the metrics."""
    df = _rows_frame(rows, points)
    grid = list(points[0]) if points else []
    if "market" not in df:
        df["market"] = pd.Series(dtype=object)
    return df[
        [*KEYS, *grid, "market", *(c for c in df.columns if c not in (*KEYS, *grid, "market"))]
    ]


def _in_runs(markets: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The per-market rows of runs that `runs` holds (a kill between the two part files
    may leave a chunk's per-market rows without its runs: those runs run again)."""
    finished = pd.MultiIndex.from_frame(runs[list(KEYS)].astype(int))
    have = pd.MultiIndex.from_frame(markets[list(KEYS)].astype(int)).isin(finished)
    return markets[have]


@dataclass
class SweepResult:
    runs: pd.DataFrame
    aggregate: pd.DataFrame
    executed: int
    """Runs done by this call (the rest were already on disk)."""
    out: Path | None = None
    aggregate_long: pd.DataFrame | None = None
    """The aggregate in long form: one row per grid point, metric and statistic."""
    elapsed: float = 0.0
    """Seconds this call took; `sweep.json` keeps the total over every call."""
    runs_markets: pd.DataFrame | None = None
    """With `by_market`: one row per run and market (`runs_markets.parquet`)."""
    aggregate_markets: pd.DataFrame | None = None
    """With `by_market`: one row per grid point and market (`aggregate_markets.parquet`)."""
    aggregate_markets_long: pd.DataFrame | None = None
    """With `by_market`: the per-market aggregate in long form, method named."""


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def count(name: str, value: Any, *, optional: bool = False) -> int | None:
    """`value` as an integer >= 1 (None allowed when `optional`), else one clear error."""
    if value is None and optional:
        return None
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not ok or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def run_sweep(
    scenario: Any = "calm",
    grid: Mapping[str, Sequence[Any]] | Iterable[str] | None = None,
    *,
    seeds: int | Sequence[int] = 10,
    steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    dask: Any = None,
    chunk_size: int | None = None,
    progress: bool | Progress | None = None,
    on_chunk: Callable[[list[dict[str, Any]]], None] | None = None,
    points: Sequence[Mapping[str, Any]] | None = None,
    by_market: bool | None = None,
) -> SweepResult:
    """Run `scenario` at every grid point x seed; return the runs and the aggregate table.

    `grid` maps dotted paths to lists of values (``{"exchange.penalty_rate": [0.005,
    0.01]}``) or is a list of ``"path=v1,v2"`` strings; `seeds` is a count (seeds
    run.seed, run.seed+1, ...) or a list. `workers` processes run chunks of runs
    (`chunk_size` runs each); `dask` is a scheduler address (``"tcp://host:8786"``) or a
    `distributed.Client` to run them on a cluster instead. With `out`, run summaries are
    saved as they finish (`runs.parquet` at the end, with `aggregate.parquet`/`.csv`),
    and `resume=True` continues an interrupted sweep, or extends a finished one with
    more seeds, without redoing finished runs. `progress` (default: on) shows a bar on a
    terminal and a plain line every 30 s elsewhere; pass `False` to silence it or a
    `Progress` to drive it. `on_chunk(rows)` is called after each chunk has been saved.
    `points`, instead of `grid`, lists the points themselves (dicts of the same paths),
    as a sampling design does. `by_market` also summarises every run per market and
    aggregates per grid point and market (`runs_markets`, `aggregate_markets`); None (the
    default) turns it on for a scenario with `[[markets]]`, off for a single market, and
    on a resume does what the folder's sweep did.
    """
    bar = make_progress(progress)
    clock_start = bar.clock()
    workers = count("workers", workers)
    chunk_size = count("chunk_size", chunk_size, optional=True)
    grid = parse_grid(grid) if grid is not None and not isinstance(grid, Mapping) else grid
    grid = {k: list(v) for k, v in (grid or {}).items()}
    for path, values in grid.items():
        if not values:
            raise ScenarioError(f"--set {path} has no values")
    if steps is not None:
        overrides = {**(overrides or {}), "run.steps": steps}
    base = load_scenario(scenario, overrides)
    seeds = seed_list(seeds, base.run.seed)
    listed = points is not None
    points = _listed_points(points, grid) if listed else grid_points(grid)
    resolved = [load_scenario(base, point) for point in points]  # validates every point
    if by_market is None:
        by_market = _folder_by_market(out, resume)
    if by_market is None:
        by_market = any(sc.markets for sc in resolved)
    jobs = [(sc.model_kwargs(), sc.run.steps, *((True,) if by_market else ())) for sc in resolved]
    spec = jsonable(
        {
            "scenario": base.name,
            "config": base.to_dict(),
            "grid": grid,
            "seeds": seeds,
            "steps": base.run.steps,
            "intervals": methods(),
            **({"points": points} if listed else {}),
            **({"by_market": True} if by_market else {}),
        }
    )
    runner = DaskRunner(dask, package_version()) if dask is not None else None
    try:
        if isinstance(runner, DaskRunner):
            runner.check_readable(sorted({p for sc in resolved if (p := sc.market.replay_path)}))
        return _run(
            spec, points, jobs, seeds, runner, workers, out, resume, overwrite, chunk_size,
            bar, on_chunk, clock_start,
        )  # fmt: skip
    finally:
        if runner is not None:
            runner.close(True)


def _folder_by_market(out: str | os.PathLike | None, resume: bool) -> bool | None:
    """Whether the sweep a resume continues was per market (None: no sweep to continue)."""
    meta = Path(out) / "sweep.json" if out is not None and resume else None
    if meta is None or not meta.exists():
        return None
    return bool(json.loads(meta.read_text()).get("by_market"))


def _run(
    spec, points, jobs, seeds, runner, workers, out, resume, overwrite, chunk_size,
    bar, on_chunk, clock_start,
) -> SweepResult:  # fmt: skip
    done = pd.DataFrame(columns=list(KEYS))
    by_market = bool(spec.get("by_market"))
    done_markets = None
    out_path = Path(out) if out is not None else None
    before = 0.0
    if out_path is not None:
        done, before = _prepare(out_path, spec, resume=resume, overwrite=overwrite)
        done_markets = read_market_runs(out_path, done) if by_market else None
    finished = set(zip(done["point"].astype(int), done["seed"].astype(int), strict=True))
    todo = [(p, s) for p in range(len(points)) for s in seeds if (p, s) not in finished]
    if runner is None and todo:
        runner = PoolRunner(workers) if workers > 1 else Runner()
    slots = runner.slots if runner is not None else 1
    if chunk_size is None:
        # Many small chunks per worker, so that runs of uneven length still keep every
        # worker busy to the end; at most 50 runs per chunk bounds what a crash loses.
        chunk_size = max(1, min(50, math.ceil(len(todo) / (16 * slots)))) if todo else 1
    tasks = [[(p, s, *jobs[p]) for p, s in c] for c in _chunks(todo, chunk_size)]

    new_rows: list[dict[str, Any]] = []
    new_markets: list[dict[str, Any]] = []
    bar.start(len(points) * len(seeds), len(finished))
    aborted = True
    try:
        if tasks:
            for rows in runner.results(run_chunk, tasks, bar.advance):
                markets = _split_markets(rows)
                if out_path is not None:
                    tag = uuid.uuid4().hex
                    if by_market:  # first, so that a chunk's runs never lack their markets
                        path = out_path / "parts" / f"markets-{tag}.parquet"
                        write_parquet(_market_frame(markets, points), path)
                    write_parquet(
                        _rows_frame(rows, points), out_path / "parts" / f"part-{tag}.parquet"
                    )
                new_markets.extend(markets)
                new_rows.extend(rows)
                if on_chunk is not None:
                    on_chunk(rows)
                bar.update(len(new_rows))
        aborted = False
    finally:
        if runner is not None and not isinstance(runner, DaskRunner):
            runner.close(aborted)
        bar.stop()

    grid = list(points[0]) if points else []
    frames = [df for df in (done, _rows_frame(new_rows, points)) if len(df)]
    runs = pd.concat(frames, ignore_index=True) if frames else _rows_frame([], points)
    runs = runs.sort_values(list(KEYS), kind="stable").reset_index(drop=True)
    if runs.duplicated(list(KEYS)).any():  # pragma: no cover - guarded by `finished`
        raise RuntimeError("a run was recorded twice")
    runs = runs[[*KEYS, *grid, *(c for c in runs.columns if c not in (*KEYS, *grid))]]
    long = aggregate_long(runs, list(grid))
    agg = wide(long, list(grid))
    m_runs = m_agg = m_long = None
    if by_market:
        m_runs, m_agg, m_long = _per_market(done_markets, new_markets, points)
    elapsed = bar.clock() - clock_start
    if out_path is not None:
        write_parquet(runs, out_path / "runs.parquet")
        write_parquet(agg, out_path / "aggregate.parquet")
        write_csv(agg, out_path / "aggregate.csv")
        write_csv(long, out_path / "aggregate_long.csv")
        if m_runs is not None:
            write_parquet(m_runs, out_path / "runs_markets.parquet")
            write_parquet(m_agg, out_path / "aggregate_markets.parquet")
            write_csv(m_agg, out_path / "aggregate_markets.csv")
            write_csv(m_long, out_path / "aggregate_markets_long.csv")
        remove_tree(out_path / "parts")
        meta = {"complete": True, **provenance(), "elapsed_seconds": before + elapsed}
        write_json({**spec, **meta}, out_path / "sweep.json")
    return SweepResult(
        runs=runs,
        aggregate=agg,
        executed=len(new_rows),
        out=out_path,
        aggregate_long=long,
        elapsed=elapsed,
        runs_markets=m_runs,
        aggregate_markets=m_agg,
        aggregate_markets_long=m_long,
    )


def _per_market(
    done: pd.DataFrame | None,
    new: list[dict[str, Any]],
    points: list[dict[str, Any]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The per-market runs (those on disk and those just run), in (point, seed) order with
    each run's markets in the scenario's order, and their aggregate, wide and long."""
    grid = list(points[0]) if points else []
    frames = [df for df in (done, _market_frame(new, points)) if df is not None and len(df)]
    m_runs = pd.concat(frames, ignore_index=True) if frames else _market_frame([], points)
    m_runs = m_runs.drop_duplicates(list(MARKET_KEYS), ignore_index=True)
    m_runs = m_runs.sort_values(list(KEYS), kind="stable").reset_index(drop=True)
    m_long = aggregate_long(m_runs, grid, by_market=True)
    return m_runs, wide(m_long, grid, by_market=True), m_long


def _prepare(
    out: Path, spec: dict[str, Any], *, resume: bool, overwrite: bool
) -> tuple[pd.DataFrame, float]:
    """Create or reopen the sweep folder; return the runs already finished in it and the
    seconds earlier calls spent. A resume may add seeds; anything else must match."""
    meta = out / "sweep.json"
    if resume:
        remove_stale(out)
    if resume and meta.exists():
        old = json.loads(meta.read_text())
        keys = ("scenario", "config", "grid", "points", "steps", "by_market")
        changed = [k for k in keys if old.get(k) != spec.get(k)]
        if not set(old.get("seeds", ())) <= set(spec["seeds"]):
            changed.append("seeds (a resume may only add seeds)")
        if changed:
            raise OutputExistsError(
                f"{out} holds a sweep with different {', '.join(changed)}; "
                "resume it with the same settings, or use --force to start over"
            )
        before = float(old.get("elapsed_seconds") or 0.0)
        if old.get("seeds") != spec["seeds"]:
            write_json({**old, **spec, "complete": False, **provenance()}, meta)
        (out / "parts").mkdir(exist_ok=True)
        return read_runs(out), before
    if resume and out.exists() and any(out.iterdir()):
        raise OutputExistsError(f"{out} is not a sweep folder (no sweep.json); cannot resume it")
    if not resume:
        check_free(out, overwrite, "use --resume to continue it or --force to start over")
        if overwrite and out.exists():
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json({**spec, "complete": False, **provenance()}, meta)
    (out / "parts").mkdir(exist_ok=True)
    return pd.DataFrame(columns=list(KEYS)), 0.0


def sweep(
    scenario: Any = "calm",
    grid: Mapping[str, Sequence[Any]] | Iterable[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run a grid of scenario fields x seeds and return the aggregate table: one row per
    grid point. The options are those of `run_sweep`."""
    return run_sweep(scenario, grid, **options).aggregate
