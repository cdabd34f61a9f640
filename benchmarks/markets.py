"""Several markets against one: the step with data collection at 10,000 traders.

    python -m benchmarks.markets                 # 10,000 traders, 500 steps
    python -m benchmarks.markets --traders 2000 --steps 200

The same traders, money and liquidity (the default market scaled to the population,
`benchmarks.market`), once in one market and once spread over four markets (weights 4:3:2:1,
betas 1 to 2.5 on a common factor). Both runs happen in this process, one after the other,
so their ratio is the figure to read; the issue's goal is under 4x.
"""

from __future__ import annotations

import argparse
import time

from abm.model import ExchangeModel
from benchmarks.market import default_market_kwargs

FOUR = [
    {"name": "BTC", "tier": "major", "beta": 1.0, "weight": 4, "liquidity": 4},
    {"name": "ETH", "tier": "major", "beta": 1.3, "weight": 3, "liquidity": 3},
    {"name": "SOL", "tier": "mid", "beta": 2.0, "weight": 2, "liquidity": 2},
    {"name": "DOGE", "tier": "small", "beta": 2.5, "weight": 1, "liquidity": 1},
]


def seconds_per_step(traders: int, steps: int, markets: list[dict] | None) -> float:
    extra = {"markets": markets} if markets else {}
    model = ExchangeModel(**default_market_kwargs(traders, governance_enabled=False, **extra))
    for _ in range(20):  # warm-up
        model.step()
    start = time.process_time()
    for _ in range(steps):
        model.step()
    return (time.process_time() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    one = seconds_per_step(args.traders, args.steps, None)
    four = seconds_per_step(args.traders, args.steps, FOUR)
    print(f"{args.traders:,} traders, {args.steps} steps, CPU time per step with data collection")
    print(f"one market:   {one * 1e3:8.3f} ms")
    print(f"four markets: {four * 1e3:8.3f} ms")
    print(f"ratio:        {four / one:8.2f}x (goal: under 4x)")


if __name__ == "__main__":
    main()
