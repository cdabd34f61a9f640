"""Step time with funding, lazy settlement and a mark price, against the eager borrow pass.

    python -m benchmarks.funding                 # 10,000 and 100,000 traders
    python -m benchmarks.funding --sizes 10000 --steps 40

Every configuration is the default market (`benchmarks.market.default_market`) warmed up
for `--warmup` steps, then all of them are stepped in turn, `--block` steps at a time, so
that whatever else runs on the machine slows each alike; the figures are ratios to the
step as it was before the cumulative indexes (the eager O(positions) borrow pass every
step), within one run. "idle" rows silence the traders (no decisions), leaving the
per-position mechanics that the indexes change.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import silence_traders  # noqa: E402
from benchmarks.market import default_market  # noqa: E402

HERE = Path(__file__).resolve().parent


def eager_begin_step(self) -> None:
    """The exchange's step before the cumulative indexes: borrow fees charged to the whole
    book every step."""
    self.step += 1
    self.stats.bad_debt_step = 0.0
    self.oracle.update(self.step, self.market.step())
    if self.halted:
        self.stats.halted_steps += 1
    book = self.book
    if self.params.borrow_rate == 0 or book.capacity == 0:
        return
    owed = np.abs(book.size)
    owed *= self.clock.amount(self.params.borrow_rate) * self.mark
    np.minimum(owed, book.margin, out=owed)
    self._split_fees(book.margin_block, owed, "borrow_fee")


CONFIGS = {
    "before: eager borrow pass": {},
    "indexes, settle every step": {},
    "indexes, settle every 24 h": {"settle_hours": 24.0},
    "hyperliquid funding, every step": {"funding_rule": "hyperliquid"},
    "hyperliquid funding, every 24 h": {"funding_rule": "hyperliquid", "settle_hours": 24.0},
    "gmx_v2 funding, every 24 h": {"funding_rule": "gmx_v2", "settle_hours": 24.0},
    "median mark + hyperliquid, 24 h": {
        "funding_rule": "hyperliquid",
        "settle_hours": 24.0,
        "mark_price": "median",
    },
}
BASE = "before: eager borrow pass"


def build(n: int, name: str, idle: bool, warmup: int):
    model = default_market(n, exchange=CONFIGS[name] or None)
    if name == BASE:
        ex = model.exchange
        ex.begin_step = eager_begin_step.__get__(ex)
    for _ in range(warmup):
        model.step()
    if idle:
        silence_traders(model)
    return model


def measure(n: int, idle: bool, warmup: int, steps: int, block: int) -> dict[str, float]:
    models = {name: build(n, name, idle, warmup) for name in CONFIGS}
    times: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for _ in range(steps // block):
        for name, model in models.items():
            t = time.perf_counter()
            for _ in range(block):
                model.step()
            times[name].append((time.perf_counter() - t) / block)
    return {name: 1e3 * statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--block", type=int, default=5)
    a = ap.parse_args(argv)
    rows = []
    for n in a.sizes:
        for idle in (False, True):
            ms = measure(n, idle, a.warmup, a.steps, a.block)
            for name, value in ms.items():
                rows.append(
                    {
                        "traders": n,
                        "step": "idle" if idle else "full",
                        "config": name,
                        "ms": value,
                        "ratio": value / ms[BASE],
                    }
                )
                print(
                    f"{n:>7} {rows[-1]['step']:>4} {name:<34} {value:8.2f} ms  "
                    f"× {rows[-1]['ratio']:.3f}",
                    flush=True,
                )
    (HERE / "funding.json").write_text(json.dumps({"args": vars(a), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
