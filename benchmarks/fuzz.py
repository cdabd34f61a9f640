"""The fuzzer: random valid configurations, every invariant checked after every step.

    python -m benchmarks.fuzz --steps 1000000            # the long profile
    python -m benchmarks.fuzz --steps 20000 --seed 3 --json fuzz.json

Hypothesis draws a preset and up to `MAX_OVERRIDES` fields of the scenario schema, each
from its allowed range (`SPACE`); what the schema refuses is rejected, the rest runs for
a drawn number of steps. After every step `check_step` asserts:

* ledger conservation (the ledger's full check, and a positive finite mark);
* the waterfall identity: fund_covered + lp_loss + adl_covered + socialized_loss +
  socialized_funding + unresolved_bad_debt == bad_debt, to `IDENTITY_TOL` absolute in
  the exchange's exact counters, and to the float64 rounding of the seven values in the
  model's columns;
* every model column is finite (fund_to_oi may be NaN only with no open interest);
* the running open-interest totals equal the ones recomputed from the book.

Two Hypothesis profiles: `fuzz-ci` (the test suite's, a few thousand steps over
derandomised examples) and `fuzz-long` (this command). A failure is recorded with an
`abm run ... --set ...` line that replays its configuration, and the run goes on.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from abm.agents.params import MARGIN_MODES
from abm.exchange.exact import from_units
from abm.exchange.exchange import STAGE_STATS
from abm.exchange.funding import FUNDING_RULES
from abm.exchange.mark import MARK_PRICES
from abm.exchange.params import ADL_RANKINGS, FUND_TARGET_BASES, LIQUIDATION_PATHS, VENUES
from abm.scenarios import preset_names

PRESETS = tuple(name for name in preset_names() if name != "replay")
"""Presets a configuration starts from (`replay` needs a price file)."""

ACCOUNT_FIELDS = ("traders.markets_per_account", "traders.margin", "traders.cross_share")
"""Fields that mean something only on a venue of several markets."""


@functools.cache
def multi_market_presets() -> tuple[str, ...]:
    """The presets with several markets, where the account fields are drawn."""
    from abm.scenarios import load_scenario

    return tuple(name for name in PRESETS if len(load_scenario(name).markets or []) > 1)


IDENTITY_TOL = 1e-9
"""Absolute tolerance of the waterfall identity in the exact counters, in quote units."""
COLUMN_ULPS = 4
"""The identity in the columns may miss by this many ulps of bad debt: each of the seven
columns is its exact counter correctly rounded (half an ulp each), and so is their sum."""
OI_RTOL = 1e-9
"""Running open interest may differ from the book by this × max(1, gross notional)."""
MAX_OVERRIDES = 8


@dataclass(frozen=True)
class Range:
    """One scenario field and the values it may take (the schema's range, or a subset
    for counts and sizes that only make a run slower)."""

    kind: str  # "float", "log", "int", "bool" or "choice"
    lo: float = 0.0
    hi: float = 1.0
    choices: tuple = ()

    def strategy(self) -> st.SearchStrategy:
        if self.kind == "bool":
            return st.booleans()
        if self.kind == "choice":
            return st.sampled_from(self.choices)
        if self.kind == "int":
            return st.integers(int(self.lo), int(self.hi))
        if self.kind == "log":
            exponent = st.floats(math.log10(self.lo), math.log10(self.hi))
            return st.one_of(
                st.sampled_from((self.lo, self.hi)), exponent.map(lambda e: float(10.0**e))
            )
        return st.floats(self.lo, self.hi, allow_nan=False)


SPACE: dict[str, Range] = {
    "market.initial_price": Range("log", 1e-6, 1e12),
    "market.annual_vol": Range("float", 0.0, 20.0),
    "market.annual_drift": Range("float", -10.0, 10.0),
    "market.step_hours": Range("log", 1e-3, 8760.0),
    "market.jump_intensity": Range("float", 0.0, 1.0),
    "market.jump_mean": Range("float", -1.0, 1.0),
    "market.jump_std": Range("float", 0.0, 1.0),
    "market.impact": Range("log", 1e-3, 1000.0),
    "market.impact_decay": Range("float", 0.0, 1.0),
    "market.depth": Range("log", 1.0, 1e15),
    "oracle.heartbeat": Range("int", 1, 200),
    "oracle.deviation": Range("float", 0.0, 1.0),
    "exchange.initial_margin": Range("log", 1e-3, 1.0),
    "exchange.maintenance_margin": Range("log", 1e-4, 0.99),
    "exchange.taker_fee": Range("float", 0.0, 0.05),
    "exchange.borrow_rate": Range("float", 0.0, 0.01),
    "exchange.fund_fee_share": Range("float", 0.0, 1.0),
    "exchange.treasury_fee_share": Range("float", 0.0, 1.0),
    "exchange.penalty_rate": Range("float", 0.0, 0.5),
    "exchange.penalty_fund_share": Range("float", 0.0, 1.0),
    "exchange.bankrupt_penalty_to_liquidator": Range("bool"),
    "exchange.half_spread": Range("float", 0.0, 0.1),
    "exchange.slippage": Range("float", 0.0, 100.0),
    "exchange.partial_liquidation": Range("bool"),
    "exchange.min_partial_notional": Range("log", 1e-3, 1e9),
    "exchange.vault_floor": Range("float", 0.0, 10.0),
    "exchange.max_oi_to_vault": Range("log", 1e-3, 1000.0),
    "exchange.fund_cover_cap": Range("log", 1e-3, 1e12),
    "exchange.adl_ranking": Range("choice", choices=ADL_RANKINGS),
    "exchange.halt_hours": Range("float", 0.0, 500.0),
    "exchange.liquidation_path": Range("choice", choices=LIQUIDATION_PATHS),
    "exchange.engine_liquidates": Range("bool"),
    "exchange.venue": Range("choice", choices=VENUES),
    "exchange.fund_target": Range("float", 0.0, 10.0),
    "exchange.fund_target_basis": Range("choice", choices=FUND_TARGET_BASES),
    "exchange.funding_rule": Range("choice", choices=FUNDING_RULES),
    "exchange.mark_price": Range("choice", choices=MARK_PRICES),
    "exchange.settle_hours": Range("float", 0.0, 48.0),
    "exchange.initial_fund": Range("log", 1e-3, 1e15),
    "exchange.treasury": Range("log", 1e-3, 1e15),
    "traders.count": Range("int", 0, 150),
    "traders.wealth_median": Range("log", 1e-3, 1e9),
    "traders.wealth_sigma": Range("float", 0.0, 5.0),
    "traders.leverage_sigma": Range("float", 0.0, 5.0),
    "traders.holding_mean": Range("log", 1.0, 1e6),
    "traders.adjust": Range("float", 0.0, 1.0),
    "traders.activity": Range("log", 1e-4, 1.0),
    "traders.appetite": Range("log", 1e-3, 10.0),
    "traders.appetite_sensitivity": Range("float", 0.0, 5.0),
    "traders.exit_after_loss": Range("float", 0.0, 1.0),
    "traders.arrival_rate": Range("log", 1e-3, 1000.0),
    "traders.min_wallet": Range("log", 1e-3, 1e6),
    "traders.markets_per_account": Range("int", 1, 4),
    "traders.margin": Range("choice", choices=MARGIN_MODES),
    "traders.cross_share": Range("float", 0.0, 1.0),
    "liquidators.count": Range("int", 0, 20),
    "liquidators.capital": Range("log", 1e-3, 1e12),
    "liquidators.gas_cost": Range("log", 1e-3, 1e4),
    "liquidators.throughput": Range("int", 1, 500),
    "liquidators.capital_leverage": Range("log", 1e-3, 1e6),
    "lps.count": Range("int", 0, 30),
    "lps.capital": Range("log", 1e-3, 1e13),
    "lps.activity": Range("float", 0.0, 1.0),
    "lps.hurdle": Range("float", -1.0, 10.0),
    "lps.run_threshold": Range("float", 0.0, 10.0),
    "lps.outflow_rate": Range("float", 0.0, 1.0),
    "governance.enabled": Range("bool"),
    "governance.n_voters": Range("int", 3, 60),
    "governance.patience": Range("int", 1, 200),
    "governance.low_band": Range("float", 1e-3, 1.0),
    "governance.high_band": Range("float", 1.0, 100.0),
}
"""Each fuzzed field's range: the schema's, narrowed only for population sizes."""

LIGHT = {"traders.count": 60, "governance.n_voters": 30, "lps.count": 4}
"""Population sizes every configuration starts from (a drawn override replaces them)."""


@dataclass(frozen=True)
class Config:
    preset: str
    overrides: dict[str, Any]
    seed: int
    steps: int

    def command(self) -> str:
        """The `abm run` line that replays this configuration (with the ledger check)."""
        sets = " ".join(f"--set {k}={_literal(v)}" for k, v in sorted(self.overrides.items()))
        return f"abm run {self.preset} --seed {self.seed} --steps {self.steps} --check {sets}"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "inf" if value == math.inf else repr(value)
    return str(value)


@st.composite
def configs(draw, max_steps: int = 400, space: Mapping[str, Range] = SPACE) -> Config:
    """A preset, a seed, a number of steps and up to `MAX_OVERRIDES` drawn fields."""
    fields = draw(st.lists(st.sampled_from(sorted(space)), max_size=MAX_OVERRIDES, unique=True))
    accounts = any(f in ACCOUNT_FIELDS for f in fields)
    preset = draw(st.sampled_from(multi_market_presets() if accounts else PRESETS))
    overrides = dict(LIGHT)
    overrides.update({f: draw(space[f].strategy(), label=f) for f in fields})
    if overrides.get("traders.margin") == "cross" and "traders.markets_per_account" not in fields:
        # cross margin needs an account in several markets: draw how many, from two
        overrides["traders.markets_per_account"] = draw(st.integers(2, 3), label="markets")
    seed = draw(st.integers(0, 2**32 - 1))
    steps = draw(st.integers(1, max_steps))
    return Config(preset, overrides, seed, steps)


class InvariantError(AssertionError):
    """An invariant that failed after a step, named."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant


INVARIANTS = ("ledger", "identity", "finite", "open_interest")
EXACT_STAGES = tuple(STAGE_STATS.values())
STAGES = tuple("unresolved_bad_debt" if s == "unresolved" else s for s in EXACT_STAGES)


def check_step(model) -> None:
    """Raise `InvariantError` unless every invariant holds after the step just taken."""
    try:
        model.check()
    except (ArithmeticError, ValueError, RuntimeError) as exc:
        raise InvariantError("ledger", str(exc)) from None
    ex = model.exchange
    exact = ex.stats.exact
    gap = from_units(sum(exact(c).units for c in EXACT_STAGES) - exact("bad_debt").units)
    if not abs(gap) <= IDENTITY_TOL:
        raise InvariantError("identity", f"exact stages miss bad_debt by {gap!r}")
    row = {c: values[-1] for c, values in model.datacollector.model_vars.items()}
    stages = math.fsum(row[c] for c in STAGES)
    if not abs(stages - row["bad_debt"]) <= COLUMN_ULPS * math.ulp(row["bad_debt"]):
        raise InvariantError(
            "identity", f"stages sum to {stages!r}, bad_debt is {row['bad_debt']!r}"
        )
    for column, value in row.items():
        if isinstance(value, bool | np.bool_):
            continue
        if column == "fund_to_oi" and row["open_interest"] == 0:
            continue
        if not math.isfinite(value):
            raise InvariantError("finite", f"{column} is {value!r}")
    size, mark = ex.book.size, ex.mark
    true_long = float(np.maximum(size, 0.0).sum()) * mark
    true_short = float(np.maximum(-size, 0.0).sum()) * mark
    tol = OI_RTOL * max(1.0, true_long + true_short)
    long_oi, short_oi = ex.book.open_interest(mark)
    if not (abs(long_oi - true_long) <= tol and abs(short_oi - true_short) <= tol):
        raise InvariantError(
            "open_interest",
            f"running long/short {long_oi!r}/{short_oi!r}, book {true_long!r}/{true_short!r}",
        )


@dataclass
class Tally:
    """What a fuzz run did: steps, configurations, checks, and failures by signature."""

    steps: int = 0
    configs: int = 0
    rejected: int = 0
    checks: int = 0
    failed_runs: int = 0
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    interrupted: bool = False

    def record(self, config: Config, step: int, exc: BaseException) -> None:
        self.failed_runs += 1
        message = str(exc).splitlines()[0] if str(exc) else ""
        if not isinstance(exc, InvariantError):
            message = f"{type(exc).__name__}: {message}"
        signature = re.sub(r"[-+]?[0-9][0-9.e+-]*", "#", message)[:120]
        entry = self.failures.setdefault(
            signature,
            {"count": 0, "step": step, "message": message, "reproducer": config.command()},
        )
        entry["count"] += 1

    def as_dict(self, seconds: float) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "configurations": self.configs,
            "rejected_configurations": self.rejected,
            "invariant_checks": self.checks,
            "failed_runs": self.failed_runs,
            "interrupted": self.interrupted,
            "seconds": round(seconds, 1),
            "failures": self.failures,
        }


def build(config: Config):
    """The model a configuration describes; ScenarioError if the schema refuses it."""
    from abm import ExchangeModel, load_scenario

    sc = load_scenario(config.preset, {**config.overrides, "run.agent_sample_period": 0})
    return ExchangeModel(preset=sc, rng=config.seed)


class Stalled(InvariantError):
    """A step ran past the stall limit: a loop that does not end is a failure too."""


@contextmanager
def stall_limit(seconds: float | None):
    """Raise `Stalled` in the main thread if the block runs longer than `seconds` of wall
    time (None: no limit). The limit is many orders above a step's milliseconds, so it
    marks a loop that does not end, not a slow machine."""
    if not seconds:
        yield
        return

    def alarm(signum, frame):
        raise Stalled("stall", f"a step ran over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_config(config: Config, tally: Tally, stall_seconds: float | None = None) -> None:
    """Run one configuration, checking after every step; a failure is tallied, not raised.
    With `stall_seconds`, a step that runs longer is tallied as a `stall` failure."""
    from abm import ScenarioError

    step = 0
    try:
        model = build(config)
    except ScenarioError:
        tally.rejected += 1
        reject()
    except Exception as exc:
        tally.configs += 1
        tally.record(config, step, exc)
        return
    tally.configs += 1
    try:
        check_step(model)
        tally.checks += len(INVARIANTS)
        while step < config.steps:
            step += 1
            with stall_limit(stall_seconds):
                model.step()
            tally.steps += 1
            check_step(model)
            tally.checks += len(INVARIANTS)
            if not model.running:
                break
    except Exception as exc:
        tally.record(config, step, exc)


COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
settings.register_profile(
    "fuzz-ci", max_examples=500, derandomize=True, phases=[Phase.generate], **COMMON
)
settings.register_profile(
    "fuzz-long", max_examples=10**7, phases=[Phase.generate], print_blob=False, **COMMON
)


class _Done(Exception):
    """The step budget is spent."""


def fuzz(
    steps: int,
    *,
    profile: str = "fuzz-long",
    space: Mapping[str, Range] = SPACE,
    seed: int | None = None,
    max_steps: int = 400,
    progress: Callable[[Tally], None] | None = None,
    stall_seconds: float | None = None,
) -> Tally:
    """Run random configurations until `steps` model steps have been checked (a step
    longer than `stall_seconds` counts as a failure)."""
    tally = Tally()

    @settings(settings.get_profile(profile))
    @given(configs(max_steps=max_steps, space=space))
    def one(config: Config) -> None:
        if tally.steps >= steps:
            raise _Done
        run_config(config, tally, stall_seconds)
        if progress is not None:
            progress(tally)

    if seed is not None:
        one = hypothesis_seed(seed)(one)
    try:
        one()
    except _Done:
        pass
    except KeyboardInterrupt:
        tally.interrupted = True
    return tally


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.fuzz", description=__doc__.split("\n")[0]
    )
    p.add_argument("--steps", type=int, default=1_000_000, help="model steps to check in all")
    p.add_argument("--seed", type=int, help="Hypothesis seed (default: random)")
    p.add_argument("--max-steps", type=int, default=400, help="most steps per configuration")
    p.add_argument("--json", help="also write the tally to this file")
    p.add_argument(
        "--stall-seconds",
        type=float,
        default=300.0,
        help="a step running longer is a failure (0: no limit)",
    )
    args = p.parse_args(argv)
    if args.steps < 1 or args.max_steps < 1:
        p.error("--steps and --max-steps must be at least 1")
    start = time.perf_counter()
    last = [start]

    def save(t: Tally) -> None:
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(t.as_dict(time.perf_counter() - start), fh, indent=2)

    def progress(t: Tally) -> None:
        now = time.perf_counter()
        if now - last[0] > 60:
            last[0] = now
            save(t)
            print(
                f"{now - start:7.0f} s  {t.steps:,} steps  {t.configs:,} configurations  "
                f"{t.failed_runs} failed",
                flush=True,
            )

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop early, still report
    tally = fuzz(
        args.steps,
        seed=args.seed,
        max_steps=args.max_steps,
        progress=progress,
        stall_seconds=args.stall_seconds,
    )
    save(tally)
    print(_report(tally.as_dict(time.perf_counter() - start)))
    return 1 if tally.failed_runs else 0


def _report(result: Mapping[str, Any]) -> str:
    lines = [
        f"steps run:              {result['steps']:,}",
        f"configurations:         {result['configurations']:,} "
        f"(+{result['rejected_configurations']:,} refused by the schema)",
        f"invariants checked:     {result['invariant_checks']:,} "
        f"({', '.join(INVARIANTS)} after every step)",
        f"failed runs:            {result['failed_runs']:,}",
        f"time:                   {result['seconds']:,} s"
        + (" (stopped early)" if result["interrupted"] else ""),
    ]
    for signature, f in sorted(result["failures"].items(), key=lambda kv: -kv[1]["count"]):
        lines += [
            "",
            f"{f['count']} x {signature}",
            f"  first at step {f['step']}: {f['message']}",
            f"  reproduce: {f['reproducer']}",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
