"""Each venue's rules as `ExchangeParams` field values (docs/venues.md is the specification).

`exchange.venue = "<name>"` in a scenario layer, a `--set` or an `exchange` dict expands
into `venue_fields(name)` at that layer; fields given explicitly beside it, and later
layers, win. Every venue sets every field in `RULE_FIELDS`, so a venue fixes the whole
rule set whatever an earlier layer said; market settings (fees per trade, spread,
slippage, OI cap, halt length, fund target) stay the scenario's. Source keys in brackets
are those of protocols.md §8; "§n" are its sections.
"""

from __future__ import annotations

import math
from typing import Any

from .params import VENUES

RULE_DEFAULTS: dict[str, Any] = {
    "liquidation_path": "keeper",
    "penalty_rate": 0.0,
    "penalty_fund_share": 0.0,
    "bankrupt_penalty_to_liquidator": False,
    "keeper_fee": 0.0,
    "engine_liquidates": True,
    "backstop_ratio": 2.0 / 3.0,
    "fill_spread_mult": 1.5,
    "slice_notional": math.inf,
    "slice_fraction": 1.0,
    "slice_cooldown_seconds": 0.0,
    "partial_liquidation": False,
    "waterfall": ("insurance_fund", "adl"),
    "vault_floor": 0.1,
    "fund_cover_cap": math.inf,
    "fund_cover_cap_total": math.inf,
    "adl_ranking": "bitmex",
    "adl_price": "bankruptcy",
    "adl_pnl_to_pool_max": math.inf,
    "adl_pnl_to_pool_target": math.inf,
    "fund_fee_share": 0.0,
}
"""What a venue leaves unsaid: no penalty, no slicing, no caps, no PnL-to-pool ADL."""

XBT_QUOTE = 10_000.0
"""Quote value of one XBT for BitMEX's risk limits, given in XBT: its price when the
risk-limit examples [B3] were written (2019-20)."""


def _bitmex_steps(steps: int = 8) -> tuple[tuple, tuple]:
    """XBTUSD risk limits [B3]: MM 0.50 %, IM 1.00 % up to 200 XBT, each 100 XBT step
    above adds 0.50 % to both; as (mm_tiers, im_tiers) in quote."""
    floors = [0.0] + [(200.0 + 100.0 * (k - 1)) * XBT_QUOTE for k in range(1, steps + 1)]
    mm = tuple((f, 0.005 + 0.005 * k) for k, f in enumerate(floors))
    im = tuple((f, 1.0 / (0.01 + 0.005 * k)) for k, f in enumerate(floors))
    return mm, im


_BITMEX_MM, _BITMEX_IM = _bitmex_steps()

_BINANCE_BRACKETS = (
    # BTCUSDT 2021-03-18 [N4,N5]: notional floor, max leverage, maintenance rate
    (0.0, 125.0, 0.004),
    (50_000.0, 100.0, 0.005),
    (250_000.0, 50.0, 0.01),
    (1_000_000.0, 20.0, 0.025),
    (10_000_000.0, 10.0, 0.05),
    (20_000_000.0, 5.0, 0.10),
    (50_000_000.0, 4.0, 0.125),
    (100_000_000.0, 3.0, 0.15),
    (200_000_000.0, 2.0, 0.25),
    (300_000_000.0, 1.0, 0.50),
)

VENUE_RULES: dict[str, dict[str, Any]] = {
    "dydx_v4": {
        # docs/venues.md "dYdX v4"; liquidations.go GetFillablePrice, genesis SMMR 1.5 [D3,D4]
        "liquidation_path": "book",
        "fill_spread_mult": 1.5,
        # GetLiquidationInsuranceFundDelta: max_liquidation_fee_ppm 15 000, all to the IF [D4]
        "penalty_rate": 0.015,
        "penalty_fund_share": 1.0,
        # partial: at most 10 % a block, until the account is healthy [D3]
        "partial_liquidation": True,
        # book fill -> insurance fund -> deleveraging; no socialised loss [D2,D4,D5], §3.1
        "waterfall": ("insurance_fund", "adl"),
        # deleveraging.go: a walk from a pseudo-random subaccount, at the bankruptcy price
        "adl_ranking": "dydx",
        "adl_price": "bankruptcy",
        # GetSubaccountMaxInsuranceLost: $1M of IF loss per subaccount per block [D3]
        "fund_cover_cap": 1_000_000.0,
        # liquidation fees only; trading fees go to stakers [D9]
        "fund_fee_share": 0.0,
        # large-cap liquidity tier: IM 2 %, MMF = 0.6 x IM = 1.2 %; no size tiers [D3]
        "initial_margin": 0.02,
        "maintenance_margin": 0.012,
        "mm_tiers": (),
        "im_tiers": (),
    },
    "hyperliquid": {
        # docs/venues.md "Hyperliquid"; [H1] liquidations: book, then HLP below 2/3 MM
        "liquidation_path": "backstop",
        "backstop_ratio": 2.0 / 3.0,
        # no fee on book liquidations; the backstop keeps the equity left [H1]
        "penalty_rate": 0.0,
        "penalty_fund_share": 0.0,
        # above $100k, 20 % slices with a 30 s cooldown [H1,H5]
        "slice_notional": 100_000.0,
        "slice_fraction": 0.2,
        "slice_cooldown_seconds": 30.0,
        # no insurance fund: HLP bears losses, then ADL [H1,H2], §3.3
        "waterfall": ("lp_vault", "adl"),
        "vault_floor": 0.0,
        # (mark / entry) x (notional / account value), at the previous mark [H2]
        "adl_ranking": "hyperliquid",
        "adl_price": "mark",
        # about 7 % of fees to HLP, 93 % to the Assistance Fund (unofficial) [H4,H9]
        "fund_fee_share": 0.0,
        "treasury_fee_share": 0.93,
        # BTC: 40x to $150M, 20x above; MM = IM at max leverage / 2 [H3]
        "initial_margin": 1.0 / 40.0,
        "maintenance_margin": 0.0125,
        "mm_tiers": ((0.0, 0.0125), (150_000_000.0, 0.025)),
        "im_tiers": ((0.0, 40.0), (150_000_000.0, 20.0)),
    },
    "gmx_v2": {
        # docs/venues.md "GMX v2"; keepers liquidate, execution fee 0 (LiquidationUtils.sol)
        "liquidation_path": "keeper",
        "keeper_fee": 0.0,
        "engine_liquidates": True,
        # liquidationFeeFactor 0.20 % of size (markets.ts). The model pays it to the keeper:
        # its pool (63 %) and fee-receiver (37 %) shares have no account here, and no
        # fund inflow is the rule that matters [G1,G2]
        "penalty_rate": 0.002,
        "penalty_fund_share": 0.0,
        # full close, the remainder back to the trader [G2]
        "partial_liquidation": False,
        # the GM pool pays and bears trader PnL, then ADL [G1,G2], §3.5
        "waterfall": ("lp_vault", "adl"),
        "vault_floor": 0.0,
        "adl_ranking": "pnl",
        "adl_price": "mark",
        # maxPnlFactorForAdl 85 % -> minPnlFactorAfterAdl 77 % (base markets) [G1]
        "adl_pnl_to_pool_max": 0.85,
        "adl_pnl_to_pool_target": 0.77,
        # fees: 63 % GM LPs, 27 % stakers, 10 % treasury; no insurance fund [G3]
        "fund_fee_share": 0.0,
        "treasury_fee_share": 0.37,
        # minCollateralFactor 1 % base (100x), BTC 0.5 % (markets.ts); the model needs
        # maintenance below initial margin, so it opens at 1 % and liquidates at 0.5 %
        "initial_margin": 0.01,
        "maintenance_margin": 0.005,
        "mm_tiers": (),
        "im_tiers": (),
    },
    "drift_v2": {
        # docs/venues.md "Drift v2"; liquidate_perp: the liquidator takes over (liquidation.rs)
        "liquidation_path": "takeover",
        # liquidator fee 0.5 % (model value: per market, not in the repository) and the
        # tests' IF fee 1 % (liquidatePerpWithFill.ts): 1.5 %, two thirds to the IF [R5]
        "penalty_rate": 0.015,
        "penalty_fund_share": 2.0 / 3.0,
        # partial, until back above maintenance plus a buffer [R2,R6b]
        "partial_liquidation": True,
        # IF to the per-market cap, then socialised through funding [R1], §3.2
        "waterfall": ("insurance_fund", "socialized"),
        # quote_max_insurance - quote_settled_insurance, tier B $1M [R2,R3]
        "fund_cover_cap_total": 1_000_000.0,
        # the revenue pool settles to the IF hourly; the share of trading fees reaching it
        # is set per market and not in the code read, so the model's 20 % stays [R3,R6]
        "fund_fee_share": 0.2,
        # 20x standard on majors (docs.drift.trade); MIN_MARGIN_RATIO 1.25 % and
        # maintenance above the liquidator fee hold (constants.rs, validation/margin.rs)
        "initial_margin": 0.05,
        "maintenance_margin": 0.025,
        "mm_tiers": (),
        "im_tiers": (),
    },
    "binance": {
        # docs/venues.md "Binance USDⓈ-M"; the engine closes and the IF takes over [N11]
        "liquidation_path": "engine",
        # all margin left after the fill goes to the IF (clearance fee and surplus) [N2]
        "penalty_rate": 0.0,
        "penalty_fund_share": 1.0,
        # IF -> ADL ("counterparty liquidation") [N2,N11], §3.10
        "waterfall": ("insurance_fund", "adl"),
        # LeveragePnL ranking, at the bankruptcy price, no fee [N3]
        "adl_ranking": "binance",
        "adl_price": "bankruptcy",
        # fund fed by liquidations only [N6]
        "fund_fee_share": 0.0,
        # BTCUSDT brackets [N4,N5]
        "initial_margin": 1.0 / 125.0,
        "maintenance_margin": 0.004,
        "mm_tiers": tuple((f, mmr) for f, _, mmr in _BINANCE_BRACKETS),
        "im_tiers": tuple((f, lev) for f, lev, _ in _BINANCE_BRACKETS),
    },
    "bitmex": {
        # docs/venues.md "BitMEX"; the engine takes over at the bankruptcy price [B2]
        "liquidation_path": "engine",
        # the trader loses the maintenance margin; a better fill is the IF's surplus [B2]
        "penalty_rate": 0.0,
        "penalty_fund_share": 1.0,
        # engine -> IF -> ADL [B1,B2], §3.9
        "waterfall": ("insurance_fund", "adl"),
        # PNL% x effective leverage, at the bankruptcy price [B1]
        "adl_ranking": "bitmex",
        "adl_price": "bankruptcy",
        # fund grows only from liquidations [B4]
        "fund_fee_share": 0.0,
        # XBTUSD risk-limit steps [B3], XBT at XBT_QUOTE
        "initial_margin": 0.01,
        "maintenance_margin": 0.005,
        "mm_tiers": _BITMEX_MM,
        "im_tiers": _BITMEX_IM,
    },
}


def venue_fields(name: str) -> dict[str, Any]:
    """The `ExchangeParams` field values of venue `name`, `venue` included ("custom"
    labels a hand-made set and sets nothing else)."""
    if name == "custom":
        return {"venue": name}
    if not isinstance(name, str) or name not in VENUE_RULES:
        raise ValueError(f"exchange.venue must be one of {list(VENUES)}, got {name!r}")
    return {**RULE_DEFAULTS, **VENUE_RULES[name], "venue": name}


def expand(table: dict[str, Any]) -> dict[str, Any]:
    """An `exchange` table with its `venue` expanded; the table's own fields win. A
    venue that is not a known name is left for validation to report."""
    venue = table.get("venue")
    if not isinstance(venue, str) or venue not in VENUES:
        return dict(table)
    return {**venue_fields(venue), **table}
