"""Fund sizing: the smallest value of a governable parameter (by default the initial
insurance fund) that meets a risk target across a weighted set of stress scenarios.

The target reads ``P(depleted within 30 days) < 1%``: the share of runs whose fund ran
dry within the horizon, weighted over the stress scenarios, must be below the threshold.
Every candidate value runs on the same seeds (common random numbers). A candidate is
decided only when the interval on its weighted share lies wholly on one side of the
threshold: below it meets the target, above it fails; otherwise seeds are added (doubling,
up to `max_seeds`), and a candidate still undecided then counts as not meeting it. The
search bisects the sorted candidates, assuming the share falls as the value grows.

The weighted share's interval is a Wilson score interval on the Kish effective number of
runs, ``1 / sum(w_s^2 / n_s)`` for normalised weights ``w_s`` over ``n_s`` runs each; with
equal weights it is the Wilson interval of the pooled runs. Stopping as soon as an
interval decides makes the stated level approximate (a sequential look at the data).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..scenarios import load_scenario
from . import stats
from .sweep import run_sweep

_TARGET = re.compile(
    r"^\s*P\(\s*depleted(?:\s+within\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>days?|hours?|steps?))?\s*\)"
    r"\s*<\s*(?P<x>\d+(?:\.\d+)?(?:e-?\d+)?)\s*(?P<pct>%?)\s*$",
    re.IGNORECASE,
)
TARGET_SYNTAX = 'P(depleted within N days|hours|steps) < X% (or a share, "< 0.01")'


@dataclass(frozen=True)
class Target:
    """P(the fund ran dry within `horizon_hours`) below `threshold` (a share)."""

    threshold: float
    horizon: float | None
    unit: str
    text: str

    def horizon_steps(self, step_hours: float) -> float:
        """The horizon in model steps (infinite: any depletion in the run counts)."""
        if self.horizon is None:
            return math.inf
        if self.unit.startswith("step"):
            return self.horizon
        hours = self.horizon * (24.0 if self.unit.startswith("day") else 1.0)
        return hours / step_hours


def parse_target(text: str) -> Target:
    m = _TARGET.match(text)
    if m is None:
        raise ValueError(f"--target must read {TARGET_SYNTAX}, got {text!r}")
    x = float(m["x"]) / (100.0 if m["pct"] else 1.0)
    if not 0.0 < x < 1.0:
        raise ValueError(f"--target threshold must be in (0, 1) or (0 %, 100 %), got {m['x']}")
    horizon = float(m["n"]) if m["n"] else None
    return Target(x, horizon, (m["unit"] or "").lower(), text.strip())


def parse_stress(text: str | Sequence[str]) -> dict[str, float]:
    """``"flash_crash:2,oracle_failure"`` to ``{"flash_crash": 2.0, "oracle_failure": 1.0}``."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: dict[str, float] = {}
    for item in (i.strip() for i in items if i.strip()):
        name, _, weight = item.partition(":")
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(
                f"--stress weight of {name} must be a number, got {weight!r}"
            ) from None
        if not w > 0 or not math.isfinite(w):
            raise ValueError(f"--stress weight of {name} must be positive, got {weight}")
        if name in out:
            raise ValueError(f"--stress {name} is given twice")
        out[name] = w
    if not out:
        raise ValueError("--stress needs at least one scenario")
    return out


def weighted_share(
    hits: Mapping[str, np.ndarray], weights: Mapping[str, float], level: float = stats.LEVEL
) -> stats.Interval:
    """The weighted share of hits over the stress scenarios, with a Wilson interval on the
    Kish effective number of runs."""
    total = sum(weights.values())
    w = {s: weights[s] / total for s in hits}
    p = sum(w[s] * float(np.mean(hits[s])) for s in hits)
    n_eff = 1.0 / sum(w[s] ** 2 / len(hits[s]) for s in hits)
    lo, hi = wilson(p, n_eff, level)
    return stats.Interval(
        p, lo, hi, "wilson (Kish effective n)", int(sum(len(h) for h in hits.values())), level
    )


def wilson(p: float, n: float, level: float = stats.LEVEL) -> tuple[float, float]:
    """The Wilson score interval of a share `p` over `n` (possibly fractional) trials."""
    z = float(sps.norm.ppf(0.5 + level / 2))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Candidate:
    value: float
    seeds: int
    share: stats.Interval
    meets: bool | None
    """True: the interval lies below the threshold; False: above; None: undecided."""
    var_95: float = math.nan
    lar_95: float = math.nan


@dataclass
class SizingResult:
    target: Target
    param: str
    answer: Candidate | None
    """The smallest candidate shown to meet the target (None: none was)."""
    frontier: list[Candidate] = field(default_factory=list)
    runs: int = 0
    """Simulation runs the search took (over every candidate, stress and seed)."""

    def frontier_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    self.param: c.value,
                    "seeds": c.seeds,
                    "p_target": c.share.estimate,
                    "p_target_lo": c.share.lo,
                    "p_target_hi": c.share.hi,
                    "meets": c.meets,
                    "var_95": c.var_95,
                    "lar_95": c.lar_95,
                }
                for c in sorted(self.frontier, key=lambda c: c.value)
            ]
        )


Evaluate = Callable[[float, int], tuple[dict[str, np.ndarray], pd.DataFrame]]
"""`evaluate(value, n_seeds)`: per stress scenario the hit (target event) of each of the
first `n_seeds` seeds, and the runs behind them (for VaR and LaR)."""


def search(
    evaluate: Evaluate,
    candidates: Sequence[float],
    target: Target,
    weights: Mapping[str, float],
    *,
    seeds: int = 20,
    max_seeds: int = 640,
    level: float = stats.LEVEL,
) -> tuple[Candidate | None, list[Candidate]]:
    """Bisect the sorted `candidates` for the smallest that meets `target`; seeds are
    added to a candidate (doubling from `seeds`) until its interval decides."""
    values = sorted(set(float(v) for v in candidates))
    if not values:
        raise ValueError("no candidate values to search")
    seen: dict[float, Candidate] = {}

    def decide(value: float) -> Candidate:
        n = seeds
        while True:
            hits, runs = evaluate(value, n)
            share = weighted_share(hits, weights, level)
            meets = (
                True
                if share.hi < target.threshold
                else False
                if share.lo >= target.threshold
                else None
            )
            if meets is not None or n >= max_seeds:
                cand = Candidate(value, n, share, meets, *_var_lar(runs))
                seen[value] = cand
                return cand
            n = min(max_seeds, 2 * n)

    lo, hi = 0, len(values) - 1
    if decide(values[hi]).meets is not True:
        return None, list(seen.values())
    while lo < hi:
        mid = (lo + hi) // 2
        if decide(values[mid]).meets is True:
            hi = mid
        else:
            lo = mid + 1
    return seen[values[hi]], list(seen.values())


def _var_lar(runs: pd.DataFrame) -> tuple[float, float]:
    if runs.empty:
        return math.nan, math.nan
    return (
        float(np.percentile(runs["uncovered_bad_debt"], 95)),
        float(np.percentile(runs["liquidation_volume"], 95)),
    )


def size_fund(
    scenario: Any,
    *,
    target: str | Target,
    stress: str | Sequence[str] | Mapping[str, float] | None = None,
    param: str = "exchange.initial_fund",
    values: Sequence[float] | None = None,
    seeds: int = 20,
    max_seeds: int = 640,
    steps: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    progress: Any = None,
) -> SizingResult:
    """Search the smallest `param` value (default: the initial fund) meeting `target`
    over the `stress` scenarios (default: `scenario` alone), on common random numbers.

    `values` are the candidates (default: 12 sizes from 1/10 to 30 times the scenario's
    own value, geometric). With `out`, every (stress, value) is a resumable sweep folder
    under ``out/``, and a rerun reuses every run already there.
    """
    target = parse_target(target) if isinstance(target, str) else target
    weights = (
        dict(stress) if isinstance(stress, Mapping) else parse_stress(stress or [str(scenario)])
    )
    fixed = {**(overrides or {}), **({"run.steps": steps} if steps else {})}
    base = load_scenario(scenario, fixed)
    if values is None:
        start = float(_lookup(base.to_dict(), param))
        values = list(np.geomspace(start / 10, start * 30, 12)) if start > 0 else [0.0]
    scenarios = {s: load_scenario(s, fixed) for s in weights}  # validates before any run
    seed0 = base.run.seed
    cache: dict[tuple[str, float], pd.DataFrame] = {}
    count = {"runs": 0}

    def evaluate(value: float, n: int) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
        hits, frames = {}, []
        for name, sc in scenarios.items():
            key = (name, value)
            have = cache.get(key)
            done = 0 if have is None else len(have)
            if done < n:
                folder = (
                    None if out is None else Path(out) / _slug(name) / f"{_slug(param)}={value:.6g}"
                )
                ids = list(range(seed0, seed0 + n))
                result = run_sweep(
                    sc,
                    seeds=ids if folder is not None else ids[done:],
                    overrides={param: value},
                    workers=workers,
                    dask=dask,
                    out=folder,
                    resume=folder is not None,
                    progress=progress,
                    by_market=False,  # the search reads the totals only
                )
                count["runs"] += result.executed
                new = result.runs
                have = (
                    new
                    if folder is not None or have is None
                    else pd.concat([have, new], ignore_index=True)
                )
                cache[key] = have
            runs = have.iloc[:n]
            horizon = target.horizon_steps(sc.market.step_hours)
            step = runs["fund_depleted_step"].to_numpy(dtype=float)
            hits[name] = np.isfinite(step) & (step <= horizon)
            frames.append(runs)
        return hits, pd.concat(frames, ignore_index=True)

    answer, frontier = search(evaluate, values, target, weights, seeds=seeds, max_seeds=max_seeds)
    result = SizingResult(target, param, answer, frontier, count["runs"])
    if out is not None:
        from .io import write_csv

        Path(out).mkdir(parents=True, exist_ok=True)
        write_csv(result.frontier_frame(), Path(out) / "frontier.csv")
    return result


def _lookup(config: Mapping[str, Any], path: str) -> Any:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ValueError(f"--param {path} is not a scenario field")
        node = node[part]
    return node


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.=" else "_" for ch in Path(text).stem or text)
