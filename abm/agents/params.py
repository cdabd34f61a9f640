"""The agents' parameters: what a scenario's `traders`, `liquidators` and `lps` sections set.

They live apart from the Mesa agents so that reading and checking a scenario does not
import Mesa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exchange.ranges import check_fields, check_range, ranged
from .initial_book import InitialBook

STYLES = ("noise", "momentum", "mean_reversion", "gambler", "basis")
MARGIN_MODES = ("isolated", "cross")


@dataclass
class TraderParams:
    """Distributions traders are drawn from. Times are in hours: `holding_mean` (mean
    holding time), the momentum look-back and the mean-reversion window; `activity` is the
    chance per hour that a trader looks at the market, `arrival_rate` new traders per
    hour.

    The mix and leverage are calibrated to an ordinary day (docs/calibration.md): on
    Hyperliquid 84 % of open interest sits at 7x or less [C12], and liquidations come almost
    all from positions above about 12x, so few gamblers, at twice the others' leverage."""

    mix: dict[str, float] = field(
        default_factory=lambda: {
            "noise": 0.55,
            "momentum": 0.2,
            "mean_reversion": 0.2,
            "gambler": 0.05,
        }
    )
    wealth_median: float = ranged(10_000.0, "(0, 1e12]")
    wealth_sigma: float = ranged(1.0, "[0, 5]")
    leverage: dict[str, float] = field(
        default_factory=lambda: {
            "noise": 3.0,
            "momentum": 6.0,
            "mean_reversion": 3.0,
            "gambler": 8.0,
            "basis": 3.0,
        }
    )
    """Median leverage of each style; a trader's own is drawn lognormal around it."""
    leverage_sigma: float = ranged(0.25, "[0, 5]")
    stake_min: float = ranged(0.1, "(0, 1]")
    stake_max: float = 0.5
    holding_mean: float = ranged(48.0, "(0, 1e9]")
    adjust: float = ranged(0.2, "[0, 1]")
    activity: float = ranged(0.02, "(0, 1]")
    momentum_lookback: float = ranged(24.0, "(0, 100000]")
    reversion_window: float = ranged(48.0, "(0, 100000]")
    appetite: float = ranged(1.0, "(0, 10]", label="leverage_appetite")
    appetite_sensitivity: float = ranged(0.3, "[0, 5]")
    exit_after_loss: float = ranged(0.5, "[0, 1]")
    funding_tolerance: float = ranged(0.25, "[0, 100]")
    """A holder on the paying side closes once the funding it expects to pay until its
    planned exit exceeds this share of its position's equity."""
    arrival_rate: float = ranged(0.5, "[0, 1e6]")
    min_wallet: float = ranged(50.0, "[0, 1e12]")
    markets_per_account: int = ranged(1, "[1, 64]", whole=True)
    """How many of the venue's markets each account trades (its home market, drawn by the
    markets' weights, and others drawn the same way); at most the number of markets."""
    margin: str = "isolated"
    """``isolated`` (each position backed by its own margin) or ``cross`` (an account's
    positions share its collateral, cross.py); cross needs `markets_per_account` >= 2."""
    cross_share: float = ranged(1.0, "[0, 1]")
    """Under ``margin = "cross"``, the share of accounts in cross margin, the rest isolated
    (Hyperliquid opens new positions in cross by default: 1 is that population)."""
    initial_book: InitialBook = field(default_factory=InitialBook)

    def __post_init__(self) -> None:
        check_fields(self, "traders.")
        if isinstance(self.initial_book, dict):
            self.initial_book = InitialBook(**self.initial_book)
        unknown = set(self.mix) - set(STYLES)
        if unknown:
            raise ValueError(f"traders.mix has unknown styles {sorted(unknown)}; use {STYLES}")
        if any(v < 0 for v in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise ValueError("traders.mix weights must be >= 0 and not all zero")
        for style in STYLES:
            check_range(
                f"traders.leverage.{style}",
                self.leverage.get(style, 1.0),
                0.0,
                1000.0,
                lo_open=True,
            )
        check_range("traders.stake_max", self.stake_max, self.stake_min, 1.0)
        if self.margin not in MARGIN_MODES:
            raise ValueError(
                f"traders.margin must be one of {list(MARGIN_MODES)}, got {self.margin!r}"
            )
        if self.margin == "cross" and self.markets_per_account < 2:
            raise ValueError(
                "traders.margin = 'cross' needs traders.markets_per_account in [2, markets]: "
                "an account with one position is isolated"
            )

    def check_markets(self, n_markets: int) -> None:
        """Refuse more markets per account than the venue has."""
        if self.markets_per_account > n_markets:
            raise ValueError(
                f"traders.markets_per_account must be in [1, {n_markets}] (the markets "
                f"traders are spread over), got {self.markets_per_account}"
            )

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """Per-trader attributes for `n` new traders."""
        styles = np.array(list(self.mix))
        weights = np.array([self.mix[s] for s in styles], dtype=float)
        style = styles[rng.choice(styles.size, size=n, p=weights / weights.sum())]
        base_lev = np.array([self.leverage.get(s, 1.0) for s in style])
        return {
            "style": style,
            "wealth": self.wealth_median * rng.lognormal(0.0, self.wealth_sigma, n),
            "leverage": base_lev * rng.lognormal(0.0, self.leverage_sigma, n),
            "stake": rng.uniform(self.stake_min, self.stake_max, n),
        }


@dataclass
class LiquidatorParams:
    count: int = ranged(5, "[0, 10000]")
    capital: float = ranged(200_000.0, "[0, 1e15]")
    gas_cost: float = ranged(5.0, "[0, 1e9]")
    throughput: float = ranged(20.0, "(0, 1e7]")
    """Liquidations per hour."""
    capital_leverage: float = ranged(20.0, "(0, 1e6]")

    def __post_init__(self) -> None:
        check_fields(self, "liquidators.")


@dataclass
class LPParams:
    count: int = ranged(10, "[0, 100000]")
    capital: float = ranged(9_000_000.0, "[0, 1e15]")
    """What LPs earn is paid on notional, so their yield scales with open interest over the
    vault; with 500 traders this puts it inside the 10-50 % a year of HLP and GM pools
    (docs/calibration.md)."""
    deposited: float = ranged(0.8, "[0, 1]")
    activity: float = ranged(0.1, "[0, 1]")
    """Chance per hour that an LP reviews its stake."""
    hurdle: float = ranged(0.10, "[-1, 10]")
    run_threshold: float = ranged(0.3, "[0, 10]")
    """Fund / open interest over its target below which LPs are under stress."""
    loss_trigger: float = ranged(0.02, "(0, 1]")
    """Fall of the vault's share price below its peak over `window` that stresses LPs."""
    outflow_rate: float = ranged(0.005, "[0, 1]")
    """Share of its vault shares a stressed LP redeems per hour."""
    stress_hours: float = ranged(48.0, "[0, 1e6]")
    """How long a stress lasts after its last trigger."""
    window: float = ranged(168.0, "(0, 1e6]")
    """Hours of share-price history behind the yield an LP compares with its hurdle."""

    def __post_init__(self) -> None:
        check_fields(self, "lps.")
