"""Cross against isolated margin on the same accounts through a correlated crash.

    python -m benchmarks.cross_margin

Every account holds a position in each of three markets (random sides, 4x to 12x); the
common factor falls 14 % in three hours (BTC beta 1, ETH 1.3, ALT 2.5) and recovers
half. The same accounts run once isolated and once in cross margin; the table gives the
positions closed, the closed notional and the bad debt of each, the positions closed
although their own margin was enough (contagion) and those below maintenance on their
own that their account kept open (offset).
"""

from __future__ import annotations

import numpy as np

from abm.exchange import ExchangeParams, FlashCrash, MarketParams, OracleParams
from abm.exchange.cross import CrossMargin
from abm.exchange.factor import FactorParams
from abm.exchange.markets import Markets, MarketSetup

ACCOUNTS = 400
BETAS = {"BTC": 1.0, "ETH": 1.3, "ALT": 2.5}


def run(cross: bool, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    crash = FlashCrash(start=5, drop=0.14, duration=3, recovery=0.5, recovery_hours=24)
    rules = ExchangeParams(initial_margin=0.05, maintenance_margin=0.025)
    setups = [
        MarketSetup(n, rules, MarketParams(annual_vol=0.3, impact=0.0), OracleParams(), beta=b)
        for n, b in BETAS.items()
    ]
    v = Markets(
        setups,
        factor=FactorParams(annual_vol=0.3, shocks=(crash,)),
        capacity=ACCOUNTS,
        fund_seed=50_000.0,
        rng=np.random.default_rng(seed),
    )
    sides = rng.choice([-1, 1], size=(len(v), ACCOUNTS))
    lev = rng.uniform(4.0, 12.0, size=(len(v), ACCOUNTS))
    for m, ex in enumerate(v):
        lp = ex.open_lp_account(f"{ex.name}/lp", 5e6)
        ex.lp_deposit(lp, 5e6)
        for k in range(ACCOUNTS):
            ex.fund_wallet(k, 1_000.0)
        ex.open_many(np.arange(ACCOUNTS), sides[m], np.full(ACCOUNTS, 300.0), lev[m])
    engine = CrossMargin(v, np.arange(ACCOUNTS)) if cross else None
    closed = notional = spread = 0
    ever_below: set = set()
    ever_taken: set = set()
    for _ in range(40):
        v.begin_step()
        below = {(ex.name, k) for ex in v for k in ex.book.liquidatable(ex.mark, ex.params)}
        done = engine.liquidate() if engine is not None else []
        done += [(ex.name, x) for ex in v for x in ex.engine_liquidate()]
        taken = {(name, x.slot) for name, x in done}
        closed += len(done)
        notional += sum(x.closed_notional for _, x in done)
        spread += len(taken - below)  # closed although its own margin was enough
        ever_below |= below
        ever_taken |= taken
        v.finish_liquidations()
        v.check()
    return {
        "closed": closed,
        "notional": notional,
        "contagion": spread,
        "offset": len(ever_below - ever_taken),  # below alone at some step, never closed
        "bad_debt": v.stats().bad_debt,
    }


def main() -> None:
    seeds = range(1, 11)
    print(f"{ACCOUNTS} accounts x 3 markets; mean ± 95 % normal interval over {len(seeds)} seeds")
    for label, cross in (("isolated", False), ("cross", True)):
        rows = [run(cross, s) for s in seeds]
        cells = []
        for key in ("closed", "notional", "contagion", "offset", "bad_debt"):
            a = np.array([r[key] for r in rows], dtype=float)
            half = 1.96 * a.std(ddof=1) / np.sqrt(a.size)
            cells.append(f"{key} {a.mean():,.1f} ± {half:,.1f}")
        print(f"{label:9s} " + "; ".join(cells))


if __name__ == "__main__":
    main()
