"""The cost of a sweep's per-market summaries and aggregates: the same sweep with and
without `by_market`, as a ratio measured in one process, and where the extra time goes.

    python -m benchmarks.sweep_markets                     # 2 points x 25 seeds = 50 runs
    python -m benchmarks.sweep_markets --seeds 25 --steps 200 --repeats 2

Each repeat runs the sweep without and then with `by_market` (one worker, in this
process, into a fresh folder); the ratio is of the least CPU time of each (this
process's CPU time, so that other work on a shared machine does not enter it; wall
times are kept too). The parts: summarising one finished run
per market (`market_frame()` and `summarize_markets`, against simulating it) and
aggregating the 50 runs' markets (`aggregate_long(by_market=True)`, against the totals).
Writes `sweep_markets.json` beside this file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from abm.batch import aggregate_long, run_sweep
from abm.batch.metrics import summarize_markets
from abm.batch.run import simulate
from abm.scenarios import load_scenario

GRID = {"exchange.penalty_rate": [0.01, 0.02]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="multi_market_crash")
    p.add_argument("--seeds", type=int, default=25)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    shocks = {"factor.shocks": [{"kind": "flash_crash", "start": a.steps // 2, "drop": 0.14}]}
    args = {"seeds": a.seeds, "steps": a.steps, "overrides": shocks, "progress": False}
    times: dict[bool, list[float]] = {False: [], True: []}
    walls: dict[bool, list[float]] = {False: [], True: []}
    result = None
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.repeats):
            for by_market in (False, True):
                out = Path(tmp) / f"{k}-{by_market}"
                start, wall = time.process_time(), time.perf_counter()
                r = run_sweep(a.scenario, GRID, out=out, by_market=by_market, **args)
                times[by_market].append(time.process_time() - start)
                walls[by_market].append(time.perf_counter() - wall)
                result = r if by_market else result
    grid = list(GRID)
    start = time.process_time()
    aggregate_long(result.runs, grid)
    agg_totals = time.process_time() - start
    start = time.process_time()
    aggregate_long(result.runs_markets, grid, by_market=True)
    agg_markets = time.process_time() - start

    kwargs = load_scenario(a.scenario, shocks).model_kwargs()
    sim, summary = [], []
    for seed in (1, 2, 3):
        start = time.process_time()
        model = simulate({**kwargs, "rng": seed, "agent_sample_period": 0}, a.steps)
        sim.append(time.process_time() - start)
        start = time.process_time()
        summarize_markets(model.market_frame(), model.exchange.fund.depleted_below)
        summary.append(time.process_time() - start)
    off, on = min(times[False]), min(times[True])
    runs = len(result.runs)
    figures = {
        "scenario": a.scenario,
        "runs": runs,
        "steps": a.steps,
        "sweep_cpu_seconds_without": off,
        "sweep_cpu_seconds_with": on,
        "ratio_with_over_without": on / off,
        "aggregate_seconds_totals": agg_totals,
        "aggregate_seconds_markets": agg_markets,
        "run_seconds": min(sim),
        "market_summary_seconds_per_run": min(summary),
        "cpu_seconds": {str(k): v for k, v in times.items()},
        "wall_seconds": {str(k): v for k, v in walls.items()},
    }
    print(
        f"{runs} runs of {a.scenario}, {a.steps} steps, 1 worker: sweep {off:.1f} s CPU without "
        f"by_market, {on:.1f} s with ({on / off:.3f}x)\n"
        f"per run (CPU): simulate {min(sim) * 1e3:.0f} ms, per-market summary "
        f"{min(summary) * 1e3:.1f} ms\n"
        f"aggregate of {runs} runs (CPU): totals {agg_totals:.2f} s, per market {agg_markets:.2f} s"
    )
    (Path(__file__).with_name("sweep_markets.json")).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
