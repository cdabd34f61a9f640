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


def check_range(
    name: str,
    value: float,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return `value` as a float, or raise a ValueError that names the field and its range."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if math.isnan(v) or below or above:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} must be in {left}{lo:g}, {hi:g}{right}, got {value!r}")
    return v


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

    initial_margin: float = 0.05
    maintenance_margin: float = 0.025
    mm_tiers: tuple[tuple[float, float], ...] = ()
    im_tiers: tuple[tuple[float, float], ...] = ()
    taker_fee: float = 0.0005
    borrow_rate: float = 0.00001
    """Per hour, on notional."""
    fund_fee_share: float = 0.20
    treasury_fee_share: float = 0.10
    penalty_rate: float = 0.015
    penalty_fund_share: float = 0.50
    bankrupt_penalty_to_liquidator: bool = False
    liquidation_path: str = "keeper"
    keeper_fee: float = 0.0
    engine_liquidates: bool = True
    backstop_ratio: float = 2.0 / 3.0
    fill_spread_mult: float = 1.5
    slice_notional: float = math.inf
    slice_fraction: float = 1.0
    slice_cooldown_seconds: float = 0.0
    half_spread: float = 0.0002
    slippage: float = 0.1
    partial_liquidation: bool = True
    min_partial_notional: float = 1_000.0
    waterfall: tuple[str, ...] = DEFAULT_WATERFALL
    vault_floor: float = 0.10
    max_oi_to_vault: float = 2.0
    fund_cover_cap: float = math.inf
    fund_cover_cap_total: float = math.inf
    adl_ranking: str = "bitmex"
    adl_price: str = "bankruptcy"
    adl_pnl_to_pool_max: float = math.inf
    adl_pnl_to_pool_target: float = math.inf
    halt_hours: float = 24.0
    fund_target: float = 0.05
    fund_target_basis: str = "open_interest"
    venue: str = "custom"
    funding_rule: str = "none"
    settle_hours: float = 0.0
    """How often every position settles its accrued funding and borrow fee (0: every step)."""
    mark_price: str = "oracle"
    mark_basis_hours: float = 1.0

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
        check_range("initial_margin", self.initial_margin, 0.0, 1.0, lo_open=True)
        check_range("maintenance_margin", self.maintenance_margin, 0.0, 1.0, lo_open=True)
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
        check_range("taker_fee", self.taker_fee, 0.0, 0.05)
        if self.taker_fee * self.max_leverage >= 1.0:
            raise ValueError(
                f"taker_fee × max leverage must be below 1 (the opening fee would exceed the "
                f"collateral), got {self.taker_fee:g} × {self.max_leverage:g}"
            )
        check_range("borrow_rate", self.borrow_rate, 0.0, 0.01)
        check_range("fund_fee_share", self.fund_fee_share, 0.0, 1.0)
        check_range("treasury_fee_share", self.treasury_fee_share, 0.0, 1.0)
        if self.fund_fee_share + self.treasury_fee_share > 1.0 + 1e-12:
            raise ValueError(
                "fund_fee_share + treasury_fee_share must be in [0, 1], got "
                f"{self.fund_fee_share + self.treasury_fee_share:g}"
            )
        check_range("penalty_rate", self.penalty_rate, 0.0, 0.5)
        check_range("penalty_fund_share", self.penalty_fund_share, 0.0, 1.0)
        check_range("half_spread", self.half_spread, 0.0, 0.1)
        check_range("slippage", self.slippage, 0.0, 100.0)
        check_range("min_partial_notional", self.min_partial_notional, 0.0, math.inf)
        check_range("vault_floor", self.vault_floor, 0.0, 10.0)
        check_range("max_oi_to_vault", self.max_oi_to_vault, 0.0, 1000.0, lo_open=True)
        check_range("fund_cover_cap", self.fund_cover_cap, 0.0, math.inf)
        check_range("fund_cover_cap_total", self.fund_cover_cap_total, 0.0, math.inf)
        check_range("keeper_fee", self.keeper_fee, 0.0, 1e6)
        check_range("backstop_ratio", self.backstop_ratio, 0.0, 1.0)
        check_range("fill_spread_mult", self.fill_spread_mult, 0.0, 100.0)
        check_range("slice_notional", self.slice_notional, 0.0, math.inf)
        check_range("slice_fraction", self.slice_fraction, 0.0, 1.0, lo_open=True)
        check_range("slice_cooldown_seconds", self.slice_cooldown_seconds, 0.0, 1e7)
        check_range("adl_pnl_to_pool_max", self.adl_pnl_to_pool_max, 0.0, math.inf, lo_open=True)
        check_range(
            "adl_pnl_to_pool_target", self.adl_pnl_to_pool_target, 0.0, math.inf, lo_open=True
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
        check_range("halt_hours", self.halt_hours, 0, 1_000_000)
        check_range("settle_hours", self.settle_hours, 0, 1_000_000)
        check_range("mark_basis_hours", self.mark_basis_hours, 0, 10_000)
        check_range("fund_target", self.fund_target, 0.0, 10.0)
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
