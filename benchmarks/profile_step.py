"""Where a model step's time goes: a phase breakdown, a function profile, experiments.

    python -m benchmarks.profile_step --traders 10000 --steps 200
    python -m benchmarks.profile_step --traders 100000 --steps 50 --pyinstrument
    python -m benchmarks.profile_step --traders 10000 --experiments

Phases are timed by wrapping the model's own methods on this one model instance (nothing
in `abm` is changed); "other" is the rest of `step`. Data collection is split into the
steps that sample agent-type data (every `agent_sample_period` steps) and those that do
not. `--experiments` measures changes the model could make, on copies of the same market:
no agent sampling, and what a vectorised trader sample would cost instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import abm.model as model_module
from benchmarks.market import DESCRIPTION, default_market


class Phases:
    """Accumulates wall time per phase for wrapped callables."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)

    def timed(self, label: str, fn: Callable) -> Callable:
        total = self.total

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                total[label] += time.perf_counter() - t

        return wrapper

    def wrap(self, obj: Any, name: str, label: str) -> bool:
        fn = getattr(obj, name, None)
        if fn is None:
            return False
        setattr(obj, name, self.timed(label, fn))
        return True


def instrument(model) -> tuple[Phases, Callable[[], None]]:
    """Wrap the step's phases on `model`; returns the timer and an undo for module globals."""
    ph = Phases()
    ex = model.exchange
    ph.wrap(ex, "begin_step", "market, oracle, borrow fees")
    ph.wrap(model, "_arrivals", "arrivals")
    ph.wrap(model, "_due_traders", "due-trader scan")
    ph.wrap(ex, "liquidation_queue", "margin check + queue")
    for liquidator in model.liquidators:
        ph.wrap(liquidator, "step", "liquidators")
    ph.wrap(ex, "finish_liquidations", "waterfall + price impact")
    for lp in model.lps:
        ph.wrap(lp, "step", "LPs")
    ph.wrap(model, "_measure", "measure metrics")
    undo = []
    for name, label in (("act", "traders act (batch)"), ("step_governance", "governance")):
        original = getattr(model_module, name, None)
        if original is not None:
            setattr(model_module, name, ph.timed(label, original))
            undo.append((name, original))

    dc = model.datacollector
    collect = dc.collect
    period = getattr(model, "agent_sample_period", 0)

    def timed_collect(m):
        sampling = period > 0 and m.steps % period == 0
        label = "collect: model row + agent sample" if sampling else "collect: model row"
        t = time.perf_counter()
        try:
            return collect(m)
        finally:
            ph.total[label] += time.perf_counter() - t

    dc.collect = timed_collect

    def restore() -> None:
        for name, original in undo:
            setattr(model_module, name, original)

    return ph, restore


def warm(n: int, warmup: int, **overrides):
    model = default_market(n, **overrides)
    for _ in range(warmup):
        model.step()
    return model


def mean_step_ms(model, steps: int) -> float:
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return 1e3 * (time.perf_counter() - t) / steps


def phase_table(n: int, warmup: int, steps: int) -> None:
    model = warm(n, warmup)
    ph, restore = instrument(model)
    times = []
    try:
        for _ in range(steps):
            t = time.perf_counter()
            model.step()
            times.append(time.perf_counter() - t)
    finally:
        restore()
    step_ms = 1e3 * sum(times) / steps
    rows = sorted(ph.total.items(), key=lambda kv: -kv[1])
    accounted = sum(ph.total.values())
    print(f"\n== phases at {n:,} traders: {steps} steps after {warmup} warm-up steps ==")
    print(f"mean step {step_ms:.3f} ms, median {1e3 * statistics.median(times):.3f} ms")
    print(f"{'phase':40s} {'ms/step':>9s} {'share':>7s}")
    for label, total in rows:
        ms = 1e3 * total / steps
        print(f"{label:40s} {ms:9.3f} {ms / step_ms:7.1%}")
    other = step_ms - 1e3 * accounted / steps
    print(f"{'other (rest of step, Mesa wrapper)':40s} {other:9.3f} {other / step_ms:7.1%}")


def function_profile(n: int, warmup: int, steps: int, top: int, use_pyinstrument: bool) -> None:
    model = warm(n, warmup)
    print(f"\n== functions at {n:,} traders: {steps} steps ==")
    if use_pyinstrument:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        prof.start()
        for _ in range(steps):
            model.step()
        prof.stop()
        print(prof.output_text(unicode=False, color=False))
        return
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        model.step()
    prof.disable()
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        text = buf.getvalue()
        print(text[text.index("   ncalls") :] if "   ncalls" in text else text)


def sample_costs(model) -> list[dict[str, Any]]:
    """Per agent type: time and retained memory of one agent-type sample as the collector
    records it now (returned records or arrays it keeps itself), and, for types with an
    array reporter, the time of that reporter alone. Adds samples to `model`'s collector."""
    dc = model.datacollector
    vectorised = getattr(dc, "vectorised", {}) or {}
    out = []
    for agent_type in list(dc.agenttype_reporters):
        gc.collect()
        t = time.perf_counter()
        records = list(dc._record_agenttype(model, agent_type))
        record_ms = 1e3 * (time.perf_counter() - t)
        del records
        gc.collect()
        tracemalloc.start()  # a second sample, for memory only (tracing slows it down)
        before = tracemalloc.get_traced_memory()[0]
        records = list(dc._record_agenttype(model, agent_type))
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        agents = len(model.agents_by_type[agent_type]) if agent_type in model.agent_types else 0
        row: dict[str, Any] = {
            "type": agent_type.__name__,
            "agents": agents,
            "record_ms": record_ms,
            "kept_bytes_per_agent": kept / max(agents, 1),
        }
        if agent_type in vectorised:
            t = time.perf_counter()
            vectorised[agent_type](model)
            row["arrays_ms"] = 1e3 * (time.perf_counter() - t)
        del records
        out.append(row)
    return out


def experiments(n: int, warmup: int, steps: int) -> None:
    print(f"\n== experiments at {n:,} traders: mean of {steps} steps after {warmup} warm-up ==")
    base = warm(n, warmup)
    period = base.agent_sample_period
    base_ms = mean_step_ms(base, steps)
    print(f"as is (agent sample every {period} steps): {base_ms:.3f} ms/step")
    print("one agent-type sample, per type (record: what collect() does for it now):")
    for row in sample_costs(base):
        line = (
            f"  {row['type']:18s} {row['agents']:>8,} agents: record {row['record_ms']:7.2f} ms, "
            f"keeps {row['kept_bytes_per_agent']:5.0f} B/agent"
        )
        if "arrays_ms" in row:
            line += f" (its array reporter alone: {row['arrays_ms']:.2f} ms)"
        print(line)
    del base
    gc.collect()
    off = warm(n, warmup, agent_sample_period=0)
    off_ms = mean_step_ms(off, steps)
    print(f"agent_sample_period=0 (no agent samples): {off_ms:.3f} ms/step")
    if period:
        share = (base_ms - off_ms) / base_ms
        print(f"agent samples are {share:.0%} of the mean step at period {period}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.profile_step", description=__doc__)
    ap.add_argument("--traders", type=int, default=10_000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--no-functions", action="store_true")
    ap.add_argument("--experiments", action="store_true")
    a = ap.parse_args(argv)
    print(f"market: {DESCRIPTION}")
    phase_table(a.traders, a.warmup, a.steps)
    if not a.no_functions:
        function_profile(a.traders, a.warmup, a.steps, a.top, a.pyinstrument)
    if a.experiments:
        experiments(a.traders, a.warmup, a.steps)


if __name__ == "__main__":
    main()
