"""One run of a scenario: simulate, collect the tables, summarise, write the files.

A run folder holds:

* ``timeseries.parquet``: `step` then every column of `abm.model.MODEL_COLUMNS`, one row
  per step; row 0 is the state before the first step.
* ``events.parquet``: `step`, `kind` (liquidation, bad_debt, adl, socialized, halt,
  param_change, injection, proposal, attack, ...) and the fields of each kind; a field
  that a kind does not have is empty. Columns mixing types are stored as text.
* ``agents.parquet``: `Step`, `AgentID`, `agent_type` (Trader, LiquidityProvider, ...)
  and each type's reporters (traders: equity, leverage, liquidated, style; LPs: stake),
  every `run.agent_sample_period` steps.
* ``markets.parquet`` (a scenario with `[[markets]]` only): one row per step and market,
  market as a column (`ExchangeModel.market_frame`); the model columns are its totals.
* ``summary.json``: scenario, seed, steps, abm_version, git_commit, mesa_version, the metrics of
  `abm.batch.metrics.summarize`, the overrides and the full resolved scenario (`config`).
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..agents.compat import release, step_of
from ..model import ExchangeModel
from ..scenarios import Scenario, load_scenario
from .io import atomic_dir, check_free, parquet_safe, write_json, write_parquet
from .metrics import summarize

RUN_FILES = ("timeseries.parquet", "events.parquet", "agents.parquet", "summary.json")


DISTRIBUTION = "perp-fund-abm"


def package_version() -> str:
    """The installed distribution's version ("unknown" in a checkout never installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_commit() -> str | None:
    """The commit of the git checkout this code runs from, with "-dirty" when tracked files
    differ from it; None for an installed wheel or without git."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        git = ["git", "-C", str(root)]
        head = subprocess.run([*git, "rev-parse", "HEAD"], **_QUIET).stdout.strip()
        changed = subprocess.run([*git, "status", "--porcelain", "-uno"], **_QUIET).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if changed.strip() else head


_QUIET: dict[str, Any] = {"capture_output": True, "text": True, "check": True, "timeout": 30}


def provenance() -> dict[str, Any]:
    """What tells two runs' code apart: package version, git commit, Mesa version."""
    return {
        "abm_version": package_version(),
        "git_commit": git_commit(),
        "mesa_version": metadata.version("mesa"),
    }


def simulate(
    kwargs: Mapping[str, Any],
    steps: int,
    *,
    check: bool = False,
    on_step: Callable[[ExchangeModel], None] | None = None,
) -> ExchangeModel:
    """Build an `ExchangeModel` from keyword arguments and step it `steps` times.

    Stops early when the model stops running (a replayed price series ran out).
    With `check`, conservation of money is checked after every step.
    """
    model = ExchangeModel(**kwargs)
    if check:
        model.check()
    for _ in range(steps):
        if not model.running:
            break
        model.step()
        if check:
            model.check()
        if on_step is not None:
            on_step(model)
    return model


def timeseries_frame(model: ExchangeModel) -> pd.DataFrame:
    """The model columns, one row per step (row 0 is the state before the first step)."""
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ts.insert(0, "step", range(len(ts)))
    return ts


def agents_frame(model: ExchangeModel) -> pd.DataFrame:
    """Every agent type's sampled data in one long table with an `agent_type` column."""
    dc = model.datacollector
    frames = []
    for agent_type in dc.agenttype_reporters:
        df = dc.get_agenttype_vars_dataframe(agent_type)
        if list(df.index.names) != ["Step", "AgentID"]:  # no samples taken
            continue
        df = df.reset_index()
        df.insert(2, "agent_type", agent_type.__name__)
        frames.append(df)
    if not frames:
        return pd.DataFrame({"Step": pd.Series(dtype="int64"), "AgentID": pd.Series(dtype="int64")})
    out = pd.concat(frames, ignore_index=True, sort=False)
    out["agent_type"] = out["agent_type"].astype(str)
    for column in out.columns:  # a count only traders have stays a count, empty elsewhere
        kinds = [pd.api.types.is_integer_dtype(df[column]) for df in frames if column in df]
        if all(kinds) and not pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].astype("Int64")
    return out


def events_frame(model: ExchangeModel) -> pd.DataFrame:
    """Every event the exchange (and governance) recorded, parquet-safe."""
    return parquet_safe(model.events_frame())


@dataclass
class RunResult:
    """What one run produced; `write(out)` stores it as parquet files and summary.json."""

    scenario: Scenario
    seed: int
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    agents: pd.DataFrame
    summary: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    markets: pd.DataFrame | None = None

    def write(self, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the files into `out`, which appears only once all are written."""
        with atomic_dir(out, overwrite=overwrite) as tmp:
            write_parquet(self.timeseries, tmp / "timeseries.parquet")
            if self.markets is not None:
                write_parquet(self.markets, tmp / "markets.parquet")
            write_parquet(self.events, tmp / "events.parquet")
            write_parquet(self.agents, tmp / "agents.parquet")
            write_json(
                {
                    **self.summary,
                    "overrides": self.overrides,
                    "config": self.scenario.to_dict(),
                },
                tmp / "summary.json",
            )
        return Path(out)


def run(
    scenario: Any = "calm",
    *,
    seed: int | None = None,
    steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    check: bool = False,
    on_step: Callable[[ExchangeModel], None] | None = None,
) -> RunResult:
    """Run a scenario once and return its tables and summary (and write them to `out`).

    `scenario` is a preset name, a path to a .toml file or a loaded `Scenario`;
    `overrides` maps dotted paths to values (``{"exchange.penalty_rate": 0.01}``);
    `seed` and `steps` default to the scenario's `run` table. Everything is validated
    before the model starts, and `out` is written only if the whole run succeeded.
    """
    overrides = dict(overrides or {})
    if seed is not None:
        overrides["run.seed"] = seed
    if steps is not None:
        overrides["run.steps"] = steps
    sc = load_scenario(scenario, overrides)
    if out is not None:
        check_free(Path(out), overwrite)
    model = simulate(sc.model_kwargs(), sc.run.steps, check=check, on_step=on_step)
    ts = timeseries_frame(model)
    summary = {
        "scenario": sc.name,
        "seed": sc.run.seed,
        "steps": step_of(model),
        **provenance(),
        **summarize(ts, model.exchange.fund.depleted_below),
    }
    result = RunResult(
        scenario=sc,
        seed=sc.run.seed,
        steps=step_of(model),
        timeseries=ts,
        events=events_frame(model),
        agents=agents_frame(model),
        summary=summary,
        overrides={k: v for k, v in overrides.items() if k not in ("run.seed", "run.steps")},
        markets=model.market_frame() if model.markets is not None else None,
    )
    release(model)  # the result holds tables, not the model
    if out is not None:
        result.write(out, overwrite=overwrite)
    return result
