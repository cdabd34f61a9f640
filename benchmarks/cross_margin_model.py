"""Cross against isolated margin in the model, on the `multi_market_crash` crash.

    python -m benchmarks.cross_margin_model                 # 10 seeds, 3 markets each
    python -m benchmarks.cross_margin_model --markets 4 --seeds 20

Every account trades `--markets` of the four markets. Both runs of a seed draw the same
accounts, positions and prices up to the first liquidation: the isolated run is
``margin = "cross"`` with ``cross_share = 0``, so only the margin mode differs. Reported
per mode: positions liquidated, bad debt, what the fund paid, and for cross accounts the
positions below their own maintenance that their account kept open (offset) and those
closed although their own margin was enough (contagion), each as mean ± Student t 95 %
interval over the seeds, with the cross / isolated ratio of the means and the paired
difference (cross − isolated, seed by seed) with its Student t 95 % interval.
"""

from __future__ import annotations

import argparse

from abm import ExchangeModel, load_scenario
from abm.batch.stats import mean

TRADERS = 300
STEPS = 400  # the crash starts at step 300; 100 steps of its aftermath
FIGURES = ("liquidations", "bad_debt", "fund_covered", "offset", "contagion")


def run(seed: int, markets: int, cross_share: float) -> dict[str, float]:
    accounts = {
        "traders.markets_per_account": markets,
        "traders.margin": "cross",
        "traders.cross_share": cross_share,
    }
    scenario = load_scenario("multi_market_crash", accounts)
    model = ExchangeModel(
        preset=scenario,
        n_traders=TRADERS,
        rng=seed,
        governance_enabled=False,
        agent_sample_period=0,
    )
    for _ in range(STEPS):
        model.step()
    model.check()
    row = model.metrics
    return {
        "liquidations": row["liquidations"],
        "bad_debt": row["bad_debt"],
        "fund_covered": row["fund_covered"],
        "offset": model.cross_stats["offset"],
        "contagion": model.cross_stats["contagion"],
    }


def table(seeds: int, markets: int) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Mean, lower and upper 95 % bound of each figure, per mode and for the paired
    difference (cross − isolated)."""
    rows = {
        label: [run(s, markets, share) for s in range(1, seeds + 1)]
        for label, share in (("isolated", 0.0), ("cross", 1.0))
    }
    rows["difference"] = [
        {k: c[k] - i[k] for k in FIGURES}
        for i, c in zip(rows["isolated"], rows["cross"], strict=True)
    ]
    out = {}
    for label, runs in rows.items():
        out[label] = {}
        for key in FIGURES:
            ci = mean([r[key] for r in runs])
            out[label][key] = (ci.estimate, ci.lo, ci.hi)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--markets", type=int, default=3)
    args = parser.parse_args()
    result = table(args.seeds, args.markets)
    print(
        f"multi_market_crash, {TRADERS} accounts x {args.markets} markets, {STEPS} steps; "
        f"mean ± Student t 95 % half-width over {args.seeds} seeds"
    )
    print("| figure | isolated | cross | cross / isolated | cross − isolated (paired) |")
    print("|---|---|---|---|---|")
    for key in FIGURES:
        cells = []
        for label in ("isolated", "cross", "difference"):
            m, lo, hi = result[label][key]
            half = (hi - lo) / 2 if hi == hi else 0.0
            cells.append(f"{m:,.1f} ± {half:,.1f}")
        iso, cro = result["isolated"][key][0], result["cross"][key][0]
        ratio = f"{cro / iso:.2f}" if iso else "–"
        print(f"| {key} | {cells[0]} | {cells[1]} | {ratio} | {cells[2]} |")


if __name__ == "__main__":
    main()
