"""Exchange parameters, their defaults and their allowed ranges.

Defaults follow public protocol settings (see README, "Mechanics"): 1.5 % liquidation
penalty as on dYdX v4, split 50/50 between liquidator and fund as on Perp v2, 20 % of
trading fees to the fund as voted on Perp v2, maintenance margin at half the initial
margin as on Hyperliquid. Every governable parameter is validated by the same rules
whether it comes from a constructor, a scenario file or an executed proposal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from itertools import pairwise

from .funding import FUNDING_RULES
from .mark import MARK_PRICES
from .ranges import check_fields, check_range, ranged

WATERFALL_STAGES = ("insurance_fund", "lp_vault", "adl", "socialized", "socialized_funding")
DEFAULT_WATERFALL = WATERFALL_STAGES[:4]
"""Drift's socialisation through cumulative funding is a stage to opt into."""
ADL_RANKINGS = ("bitmex", "binance", "hyperliquid", "pnl", "dydx", "pro_rata")
ADL_PRICES = ("bankruptcy", "mark")
VENUES = ("custom", "dydx_v4", "hyperliquid", "gmx_v2", "drift_v2", "binance", "bitmex")
"""`venue` labels a parameter set; a scenario's `exchange.venue` expands into its rules."""
LIQUIDATION_PATHS = ("keeper", "engine", "clearance", "backstop", "takeover", "book")
"""Who closes a position below maintenance and who keeps what is left (see liquidation.py)."""
FUND_TARGET_BASES = ("open_interest", "tvl")
"""What `fund_target` is a share of: open interest, or total value locked (the vault, the
fund and traders' margins), the source article's "target fund size relative to TVL"."""


def bracket_value(tiers: tuple[tuple[float, float], ...], notional: float, default: float):
    """The value of the bracket holding `notional` (brackets start at their floor)."""
    value = default
    for floor, v in tiers:
        if floor <= notional:
            value = v
    return value


@dataclass
class ExchangeParams:
    """Protocol rules of one perpetual market. Governable fields are marked in `GOVERNABLE`."""

    initial_margin: float = ranged(0.05, "(0, 1]")
    maintenance_margin: float = ranged(0.025, "(0, 1]")
    mm_tiers: tuple[tuple[float, float], ...] = ()
    im_tiers: tuple[tuple[float, float], ...] = ()
    taker_fee: float = ranged(0.0005, "[0, 0.05]")
    borrow_rate: float = ranged(0.00001, "[0, 0.01]")
    """Per hour, on notional."""
    fund_fee_share: float = ranged(0.20, "[0, 1]")
    treasury_fee_share: float = ranged(0.10, "[0, 1]")
    penalty_rate: float = ranged(0.015, "[0, 0.5]")
    penalty_fund_share: float = ranged(0.50, "[0, 1]")
    bankrupt_penalty_to_liquidator: bool = False
    liquidation_path: str = "keeper"
    keeper_fee: float = ranged(0.0, "[0, 1e6]")
    engine_liquidates: bool = True
    backstop_ratio: float = ranged(2.0 / 3.0, "[0, 1]")
    fill_spread_mult: float = ranged(1.5, "[0, 100]")
    slice_notional: float = ranged(math.inf, "[0, inf]")
    slice_fraction: float = ranged(1.0, "(0, 1]")
    slice_cooldown_seconds: float = ranged(0.0, "[0, 1e7]")
    half_spread: float = ranged(0.0002, "[0, 0.1]")
    slippage: float = ranged(0.1, "[0, 100]")
    partial_liquidation: bool = True
    min_partial_notional: float = ranged(1_000.0, "[0, inf]")
    waterfall: tuple[str, ...] = DEFAULT_WATERFALL
    vault_floor: float = ranged(0.10, "[0, 10]")
    max_oi_to_vault: float = ranged(2.0, "(0, 1000]")
    max_open_interest: float = ranged(math.inf, "[0, inf]")
    """Open-interest cap in quote units (a market's OI cap, as Hyperliquid's per asset)."""
    fund_cover_cap: float = ranged(math.inf, "[0, inf]")
    fund_cover_cap_total: float = ranged(math.inf, "[0, inf]")
    adl_ranking: str = "bitmex"
    adl_price: str = "bankruptcy"
    adl_pnl_to_pool_max: float = ranged(math.inf, "(0, inf]")
    adl_pnl_to_pool_target: float = ranged(math.inf, "(0, inf]")
    halt_hours: float = ranged(24.0, "[0, 1e6]")
    fund_target: float = ranged(0.05, "[0, 10]")
    fund_target_basis: str = "open_interest"
    venue: str = "custom"
    funding_rule: str = "none"
    settle_hours: float = ranged(0.0, "[0, 1e6]")
    """How often every position settles its accrued funding and borrow fee (0: every step)."""
    mark_price: str = "oracle"
    mark_basis_hours: float = ranged(1.0, "[0, 10000]")

    GOVERNABLE = (
        "penalty_rate",
        "penalty_fund_share",
        "fund_fee_share",
        "treasury_fee_share",
        "initial_margin",
        "maintenance_margin",
        "fund_target",
        "taker_fee",
        "borrow_rate",
    )

    def __post_init__(self) -> None:
        self.validate()

    @property
    def max_leverage(self) -> float:
        return 1.0 / self.initial_margin

    @property
    def lp_fee_share(self) -> float:
        return 1.0 - self.fund_fee_share - self.treasury_fee_share

    def validate(self) -> None:
        check_fields(self)
        if self.maintenance_margin >= self.initial_margin:
            raise ValueError(
                f"maintenance_margin must be below initial_margin ({self.initial_margin:g}), "
                f"got {self.maintenance_margin!r}"
            )
        floors = [f for f, _ in self.mm_tiers]
        if self.mm_tiers and (floors[0] != 0 or floors != sorted(floors)):
            raise ValueError("mm_tiers must start at notional 0 and rise")
        for i, (_, rate) in enumerate(self.mm_tiers):
            check_range(f"mm_tiers[{i}] rate", rate, 0.0, 1.0, lo_open=True, hi_open=True)
        self._check_im_tiers()
        if self.taker_fee * self.max_leverage >= 1.0:
            raise ValueError(
                f"taker_fee × max leverage must be below 1 (the opening fee would exceed the "
                f"collateral), got {self.taker_fee:g} × {self.max_leverage:g}"
            )
        if self.fund_fee_share + self.treasury_fee_share > 1.0 + 1e-12:
            raise ValueError(
                "fund_fee_share + treasury_fee_share must be in [0, 1], got "
                f"{self.fund_fee_share + self.treasury_fee_share:g}"
            )
        if self.adl_pnl_to_pool_target > self.adl_pnl_to_pool_max:
            raise ValueError(
                "adl_pnl_to_pool_target must not exceed adl_pnl_to_pool_max "
                f"({self.adl_pnl_to_pool_max:g}), got {self.adl_pnl_to_pool_target!r}"
            )
        for name, value, allowed in (
            ("liquidation_path", self.liquidation_path, LIQUIDATION_PATHS),
            ("adl_ranking", self.adl_ranking, ADL_RANKINGS),
            ("adl_price", self.adl_price, ADL_PRICES),
            ("fund_target_basis", self.fund_target_basis, FUND_TARGET_BASES),
            ("venue", self.venue, VENUES),
            ("funding_rule", self.funding_rule, FUNDING_RULES),
            ("mark_price", self.mark_price, MARK_PRICES),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
        unknown = [s for s in self.waterfall if s not in WATERFALL_STAGES]
        if unknown or len(set(self.waterfall)) != len(self.waterfall):
            raise ValueError(
                f"waterfall must list distinct stages from {list(WATERFALL_STAGES)}, "
                f"got {list(self.waterfall)}"
            )

    def _check_im_tiers(self) -> None:
        """Initial-margin brackets (notional floor, max leverage), as on Binance and
        Hyperliquid, and a maintenance rate below the initial margin at every bracket, so
        that no position is liquidatable on arrival."""
        floors = [f for f, _ in self.im_tiers]
        if self.im_tiers and (floors[0] != 0 or any(b <= a for a, b in pairwise(floors))):
            raise ValueError("im_tiers must start at notional 0 and rise")
        levs = [lev for _, lev in self.im_tiers]
        for i, lev in enumerate(levs):
            check_range(f"im_tiers[{i}] max leverage", lev, 1.0, 1000.0)
        if any(b > a for a, b in pairwise(levs)):
            raise ValueError(f"im_tiers max leverage must not rise with notional, got {levs}")
        for x in sorted({0.0, *floors, *(f for f, _ in self.mm_tiers)}):
            mmr = bracket_value(self.mm_tiers, x, self.maintenance_margin)
            lev = min(self.max_leverage, bracket_value(self.im_tiers, x, self.max_leverage))
            if mmr >= 1.0 / lev:
                name = "im_tiers" if self.im_tiers else "mm_tiers"
                raise ValueError(
                    f"{name} must keep the maintenance rate below the initial margin at every "
                    f"bracket; from notional {x:,.0f} it is {mmr:g} against {1.0 / lev:g} "
                    f"(max leverage {lev:g})"
                )

    def updated(self, **changes: float) -> ExchangeParams:
        """A validated copy with `changes` applied (the original is untouched on error)."""
        names = {f.name for f in fields(self)}
        for key in changes:
            if key not in names:
                raise ValueError(f"unknown exchange parameter {key!r}")
        return replace(self, **changes)
