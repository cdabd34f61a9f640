"""One measurement in a fresh process; prints one JSON object on its last stdout line.

`benchmarks.run` starts this module once per measurement, so every model size has its own
peak RSS (`ru_maxrss` is a high-water mark of the whole process) and no measurement
inherits another's heap or garbage-collector state.

    python -m benchmarks.child size 10000 --warmup 100 --steps 100 --naive-steps 30
    python -m benchmarks.child sanity 10000 --steps 300
    python -m benchmarks.child long 10000 --steps 10000
    python -m benchmarks.child rss 1000000 --steps 100
    python -m benchmarks.child sweep --runs 8 --steps 300
    python -m benchmarks.child app --frames 40
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

T_START = time.perf_counter()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def log(msg: str) -> None:
    print(f"  [{time.perf_counter() - T_START:6.1f}s] {msg}", file=sys.stderr, flush=True)


class Clock:
    """Wall and CPU time of a block; cpu/wall well below 1 means the process was preempted."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0

    @property
    def cpu_share(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else 1.0


def run_steps(model, n: int) -> dict[str, Any]:
    """Step `n` times, timing each step; also open positions and due traders per step."""
    import numpy as np

    book = model.exchange.book
    wake = getattr(model, "_wake", None)  # the wake-up times, to count who acts
    liq0 = model.exchange.stats.liquidations
    times, opens, due, liqs = [], [], [], []
    with Clock() as clock:
        for _ in range(n):
            if wake is not None:
                due.append(int(np.count_nonzero(model._wake <= model.steps + 1)))
            t = time.perf_counter()
            model.step()
            times.append(time.perf_counter() - t)
            opens.append(int(np.count_nonzero(book.size)))
            liqs.append(model.exchange.stats.liquidations - liq0)
    return {
        "steps": n,
        "step_times_s": times,
        "liquidations_cumulative": liqs,
        "mean_ms": 1e3 * statistics.fmean(times),
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times),
        "open_positions": statistics.fmean(opens),
        "due_per_step": statistics.fmean(due) if due else None,
        "liquidations": model.exchange.stats.liquidations - liq0,
        "cpu_share": clock.cpu_share,
    }


def best_time(fn: Callable[[], Any], budget_s: float = 0.05, repeat: int = 5) -> tuple[float, int]:
    """Seconds per call (the best of `repeat` means) and the calls per mean.

    The calls per mean are chosen so that one mean takes about `budget_s`.
    """
    timer = timeit.Timer(fn)
    one = min(timer.repeat(repeat=3, number=1))
    number = max(3, int(budget_s / max(one, 1e-9)))
    return min(timer.repeat(repeat=repeat, number=number)) / number, number


def fingerprint(model) -> list[float]:
    ex = model.exchange
    return [float(ex.book.size.sum()), float(ex.ledger.total()), ex.stats.liquidations]


def floor_figures(model) -> dict[str, Any]:
    """The vectorised margin check and selection alone, on the model's own arrays."""
    import numpy as np

    ex = model.exchange
    book, mark, params = ex.book, ex.mark, ex.params
    floor_s, calls = best_time(lambda: book.liquidatable(mark, params))
    queue_s, _ = best_time(ex.liquidation_queue)
    return {
        "what": "book.liquidatable(mark, params) on the model's arrays after warm-up",
        "open_positions": int(np.count_nonzero(book.size)),
        "capacity": int(book.size.size),
        "calls_per_mean": calls,
        "ms": 1e3 * floor_s,
        "queue_ms": 1e3 * queue_s,
        "liquidatable_now": int(book.liquidatable(mark, params).size),
    }


def silence_traders(model) -> None:
    """From now on no trader wakes up and none arrives: a step without any decisions.

    What is left is the per-position mechanics every step pays (market and oracle, borrow
    fees, the margin check, liquidations, vault valuation, metrics, data collection).
    """
    import numpy as np

    model._wake[:] = np.inf
    model.trader_params.arrival_rate = 0.0


# -- modes ------------------------------------------------------------------------------
def size_mode(a: argparse.Namespace) -> dict[str, Any]:
    """Real model, numpy floor and naive Mesa loop on the same market at one size."""

    from abm.model import ExchangeModel
    from benchmarks.market import default_market_kwargs
    from benchmarks.naive import NaiveExchangeModel

    out: dict[str, Any] = {"traders": a.n, "import_s": time.perf_counter() - T_START}
    out["rss_import_mb"] = peak_rss_mb()
    kwargs = default_market_kwargs(a.n)

    log(f"{a.n} traders: build")
    with Clock() as c:
        model = ExchangeModel(**kwargs)
    out["build_s"] = c.wall
    with Clock() as c:
        for _ in range(a.warmup):
            model.step()
    out["warmup"] = {"steps": a.warmup, "s": c.wall, "cpu_share": c.cpu_share}
    out["rss_after_warmup_mb"] = peak_rss_mb()
    warm_print = fingerprint(model)

    log(f"{a.n} traders: {a.steps} timed steps")
    rss0 = current_rss_mb()
    out["model"] = run_steps(model, a.steps)
    out["rss_growth_mb_per_100_steps"] = (current_rss_mb() - rss0) * 100 / a.steps
    out["rss_end_mb"] = peak_rss_mb()

    log(f"{a.n} traders: numpy floor")
    out["floor"] = floor_figures(model)
    if a.idle_steps > 0:
        log(f"{a.n} traders: {a.idle_steps} steps with nobody acting")
        silence_traders(model)
        out["idle"] = run_steps(model, a.idle_steps)
    del model
    gc.collect()

    if a.naive_steps > 0 or a.own_turn_steps > 0:
        log(f"{a.n} traders: naive model, warm-up on the vectorised path")
        naive = NaiveExchangeModel(**kwargs)
        naive.naive = False
        for _ in range(a.warmup):
            naive.step()
        same = fingerprint(naive) == warm_print
        naive.naive = True
        # Both variants run on the one warmed-up model: "batched" from the very state the
        # real model was timed from, then "own_turn" from where "batched" stopped.
        for acting, steps in (("batched", a.naive_steps), ("own_turn", a.own_turn_steps)):
            if steps <= 0:
                continue
            log(f"{a.n} traders: {steps} naive steps, acting {acting}")
            naive.acting = acting
            start = naive.steps
            out[f"naive_{acting}"] = run_steps(naive, steps)
            out[f"naive_{acting}"]["first_step"] = start + 1
            out[f"naive_{acting}"]["same_state_at_start"] = same if acting == "batched" else None
        del naive
        gc.collect()

    return out


def sanity_mode(a: argparse.Namespace) -> dict[str, Any]:
    """The real and the naive models from scratch: the same kind of market?"""
    import numpy as np

    from abm.model import ExchangeModel
    from benchmarks.market import default_market_kwargs
    from benchmarks.naive import NaiveExchangeModel

    kwargs = default_market_kwargs(a.n)
    out: dict[str, Any] = {"traders": a.n, "steps": a.steps}
    variants = (
        ("model", ExchangeModel, {}),
        ("naive_batched", NaiveExchangeModel, {"acting": "batched"}),
        ("naive_own_turn", NaiveExchangeModel, {"acting": "own_turn"}),
    )
    for name, cls, extra in variants:
        log(f"sanity: {name}, {a.n} traders × {a.steps} steps from scratch")
        m = cls(**kwargs, **extra)
        for _ in range(a.steps):
            m.step()
        m.check()
        st = m.exchange.stats
        out[name] = {
            "liquidations": st.liquidations,
            "liquidation_volume": st.liquidation_volume,
            "bad_debt": st.bad_debt,
            "open_positions": int(np.count_nonzero(m.exchange.book.size)),
            "insurance_fund": float(m.metrics["insurance_fund"]),
        }
        del m
        gc.collect()
    return out


def long_mode(a: argparse.Namespace) -> dict[str, Any]:
    """Build plus `steps` steps with data collection on, as a user would run it; with
    `--markets 4`, the same traders and money over benchmarks.markets' four markets."""
    from abm.model import ExchangeModel
    from benchmarks.market import default_market_kwargs
    from benchmarks.markets import FOUR

    if a.markets not in (1, len(FOUR)):
        raise SystemExit(f"--markets must be 1 or {len(FOUR)}, got {a.markets}")
    extra = {"markets": FOUR} if a.markets > 1 else {}
    splits = []
    with Clock() as total:
        t = time.perf_counter()
        model = ExchangeModel(**default_market_kwargs(a.n, **extra))
        build = time.perf_counter() - t
        t = time.perf_counter()
        for k in range(1, a.steps + 1):
            model.step()
            if k % max(1, a.steps // 10) == 0:
                splits.append({"step": k, "s": time.perf_counter() - t})
                t = time.perf_counter()
                log(f"long run: {k} steps")
    rows = len(model.datacollector.model_vars[next(iter(model.datacollector.model_vars))])
    return {
        "traders": a.n,
        "markets": a.markets,
        "steps": a.steps,
        "build_s": build,
        "total_s": total.wall,
        "cpu_share": total.cpu_share,
        "splits": splits,
        "model_rows_collected": rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def rss_mode(a: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of building the default market with `n` traders and running `steps`."""
    from abm.model import ExchangeModel
    from benchmarks.market import default_market_kwargs

    out: dict[str, Any] = {"traders": a.n, "steps": a.steps, "rss_import_mb": peak_rss_mb()}
    with Clock() as c:
        model = ExchangeModel(**default_market_kwargs(a.n))
    out["build_s"] = c.wall
    out["rss_after_build_mb"] = peak_rss_mb()
    log(f"{a.n} traders built in {c.wall:.1f}s, peak {out['rss_after_build_mb']:.0f} MB")
    with Clock() as c:
        for k in range(a.steps):
            model.step()
            if (k + 1) % 25 == 0:
                log(f"{k + 1} steps, peak {peak_rss_mb():.0f} MB")
    out["steps_s"] = c.wall
    out["cpu_share"] = c.cpu_share
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def sweep_mode(a: argparse.Namespace) -> dict[str, Any]:
    """Sweep throughput (runs per second) with 1 and with 2 worker processes."""
    try:
        import abm.batch as batch
        import abm.scenarios as scenarios
    except ImportError as exc:  # the sweep API is not there: time a plain process pool
        return pool_fallback(a, f"abm.batch not importable ({exc})")
    run_sweep = getattr(batch, "run_sweep", None)
    if run_sweep is None:
        return pool_fallback(a, "abm.batch has no run_sweep")
    presets = scenarios.preset_names()
    preset = next((p for p in ("default", "calm") if p in presets), None)
    scenario = preset if preset is not None else {}
    grid = {"exchange.penalty_rate": [0.01, 0.015]}
    seeds = max(1, a.runs // 2)
    out: dict[str, Any] = {
        "api": "abm.batch.run_sweep",
        "scenario": preset or "model defaults (no preset files found)",
        "grid": grid,
        "seeds": seeds,
        "runs": 2 * seeds,
        "steps": a.steps,
        "by_workers": {},
    }
    run_sweep(scenario, grid, seeds=1, steps=10, workers=1)  # imports, caches
    rounds: dict[str, list[float]] = {"1": [], "2": []}
    for r in range(a.rounds):
        for workers in (1, 2):
            log(f"sweep round {r + 1}: {2 * seeds} runs × {a.steps} steps, {workers} worker(s)")
            with Clock() as c:
                result = run_sweep(scenario, grid, seeds=seeds, steps=a.steps, workers=workers)
            rounds[str(workers)].append(result.executed / c.wall)
    for workers, rates in rounds.items():
        out["by_workers"][workers] = {
            "runs_per_s": max(rates),
            "s": 2 * seeds / max(rates),
            "runs_per_s_each_round": rates,
        }
    out["rounds"] = a.rounds
    return out


def _pool_run(seed: int, steps: int) -> int:
    from abm.model import ExchangeModel

    model = ExchangeModel(rng=seed)
    for _ in range(steps):
        model.step()
    return model.exchange.stats.liquidations


def pool_fallback(a: argparse.Namespace, why: str) -> dict[str, Any]:
    import concurrent.futures as cf

    out: dict[str, Any] = {"api": f"ProcessPoolExecutor fallback: {why}", "by_workers": {}}
    out.update(runs=a.runs, steps=a.steps)
    for workers in (1, 2):
        with Clock() as c, cf.ProcessPoolExecutor(workers) as pool:
            list(pool.map(_pool_run, range(a.runs), [a.steps] * a.runs))
        out["by_workers"][str(workers)] = {"s": c.wall, "runs_per_s": a.runs / c.wall}
    return out


def app_mode(a: argparse.Namespace) -> dict[str, Any]:
    """Time per rendered frame of the app's page, drawn as its play loop draws it."""
    import warnings

    warnings.filterwarnings("ignore")
    try:
        from benchmarks.tabs import frame_costs
    except ImportError as exc:
        return {"skipped": f"viz.app not importable: {exc}"}
    log(f"app: {a.frames} frames")
    return frame_costs(a.frames)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.child")
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("size")
    p.add_argument("n", type=int)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--naive-steps", type=int, default=20, help="naive, acting batched")
    p.add_argument("--own-turn-steps", type=int, default=0, help="naive, acting own_turn")
    p.add_argument("--idle-steps", type=int, default=0, help="then nobody acting")
    p.set_defaults(fn=size_mode)
    p = sub.add_parser("sanity")
    p.add_argument("n", type=int)
    p.add_argument("--steps", type=int, default=300)
    p.set_defaults(fn=sanity_mode)
    p = sub.add_parser("long")
    p.add_argument("n", type=int)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--markets", type=int, default=1, help="1, or 4: benchmarks.markets.FOUR")
    p.set_defaults(fn=long_mode)
    p = sub.add_parser("rss")
    p.add_argument("n", type=int)
    p.add_argument("--steps", type=int, default=100)
    p.set_defaults(fn=rss_mode)
    p = sub.add_parser("sweep")
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--rounds", type=int, default=1, help="alternate 1 and 2 workers; keep best")
    p.set_defaults(fn=sweep_mode)
    p = sub.add_parser("app")
    p.add_argument("--frames", type=int, default=40)
    p.set_defaults(fn=app_mode)
    a = ap.parse_args(argv)
    result = a.fn(a)
    result["child_peak_rss_mb"] = peak_rss_mb()
    result["child_wall_s"] = time.perf_counter() - T_START
    print(json.dumps(result))


if __name__ == "__main__":
    main()
