"""Loss figures of a preset over seeds: how often liquidations leave bad debt, who pays.

`python -m benchmarks.losses calm flash_crash --seeds 5` prints, per preset and seed,
liquidated notional per day over mean open interest, the share of liquidations that left
bad debt, bad debt and what each waterfall stage paid, so two versions of the exchange can
be compared on the same seeds.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from abm import ExchangeModel, load_scenario

STAGES = ("fund_covered", "lp_loss", "adl_covered", "socialized_loss", "unresolved_bad_debt")


def losses(preset: str, seed: int, steps: int | None = None, **overrides) -> dict[str, float]:
    """One run's loss figures (governance off, so the rules stay as configured)."""
    scenario = load_scenario(preset)
    steps = steps or scenario.run.steps
    kwargs = {**scenario.model_kwargs(), "rng": seed, "governance_enabled": False, **overrides}
    model = ExchangeModel(**kwargs)
    for _ in range(steps):
        model.step()
        if not model.running:
            break
    ts = model.datacollector.get_model_vars_dataframe()
    ev = model.events_frame()
    liq = ev[ev["kind"] == "liquidation"] if "kind" in ev else ev.iloc[0:0]
    hours = len(ts) * model.exchange.market.params.step_hours
    mean_oi = float(ts["open_interest"].mean())
    last = ts.iloc[-1]
    with_debt = float((liq["shortfall"] > 0).mean()) if len(liq) else float("nan")
    row = {
        "preset": preset,
        "seed": seed,
        "liq_per_day_over_oi": float(last["liquidation_volume"]) / (hours / 24) / mean_oi,
        "liquidations": int(last["liquidations"]),
        "share_with_bad_debt": with_debt,
        "bad_debt": float(last["bad_debt"]),
        "adl_volume": float(last["adl_volume"]),
    }
    row.update({s: float(last[s]) for s in STAGES})
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="+")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="exchange parameter override, e.g. penalty_fund_share=1",
    )
    args = ap.parse_args(argv)
    exchange = {}
    for item in args.set:
        key, value = item.split("=", 1)
        exchange[key] = float(value) if value.replace(".", "", 1).isdigit() else value
    rows = []
    for preset in args.presets:
        for seed in range(1, args.seeds + 1):
            over = {}
            if exchange:
                base = load_scenario(preset).model_kwargs().get("exchange") or {}
                over["exchange"] = {**base, **exchange}
            rows.append(losses(preset, seed, args.steps, **over))
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.round(4).to_string(index=False))
        print()
        print(frame.groupby("preset").mean(numeric_only=True).drop(columns="seed").round(4))
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
