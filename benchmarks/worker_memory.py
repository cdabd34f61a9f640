"""Memory of one sweep worker over many runs: resident set size and models still alive.

    python -m benchmarks.worker_memory --runs 200 --steps 200
    python -m benchmarks.worker_memory --runs 200 --steps 200 --keep   # without release()

Each run goes through `run_chunk`, as in a sweep worker; `--keep` skips the release of
finished models, to show what Mesa 3.3.1 does on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import weakref
from unittest import mock

import mesa

from abm.scenarios import load_scenario

from .child import current_rss_mb

sweep = importlib.import_module("abm.batch.sweep")  # the module, not the function


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--scenario", default="calm")
    p.add_argument("--keep", action="store_true", help="do not release finished models")
    a = p.parse_args()
    kwargs = load_scenario(a.scenario).model_kwargs()
    alive: list[weakref.ref] = []
    built = sweep.simulate

    def tracked(*args, **kw):
        model = built(*args, **kw)
        alive.append(weakref.ref(model))
        return model

    samples = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(sweep, "simulate", tracked))
        if a.keep:
            stack.enter_context(mock.patch.object(sweep, "release", lambda model: None))
        for k in range(1, a.runs + 1):
            sweep.run_chunk([(0, k, kwargs, a.steps)])
            if k == 1 or k % 25 == 0:
                gc.collect()
                alive_now = sum(r() is not None for r in alive)
                samples.append(
                    {"runs": k, "rss_mb": round(current_rss_mb(), 1), "alive": alive_now}
                )
    first, last = samples[0], samples[-1]
    out = {
        "mesa": mesa.__version__,
        "release": not a.keep,
        "steps": a.steps,
        "samples": samples,
        "rss_growth_mb": round(last["rss_mb"] - first["rss_mb"], 1),
        "rss_growth_kb_per_run": round(
            (last["rss_mb"] - first["rss_mb"]) * 1024 / (last["runs"] - first["runs"]), 1
        ),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
