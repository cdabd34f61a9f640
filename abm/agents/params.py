"""The agents' parameters: what a scenario's `traders`, `liquidators` and `lps` sections set.

They live apart from the Mesa agents so that reading and checking a scenario does not
import Mesa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exchange.params import check_range
from .initial_book import InitialBook

STYLES = ("noise", "momentum", "mean_reversion", "gambler", "basis")


@dataclass
class TraderParams:
    """Distributions traders are drawn from. Times are in hours: `holding_mean` (mean
    holding time), the momentum look-back and the mean-reversion window; `activity` is the
    chance per hour that a trader looks at the market, `arrival_rate` new traders per
    hour."""

    mix: dict[str, float] = field(
        default_factory=lambda: {
            "noise": 0.5,
            "momentum": 0.2,
            "mean_reversion": 0.2,
            "gambler": 0.1,
        }
    )
    wealth_median: float = 10_000.0
    wealth_sigma: float = 1.0
    leverage: dict[str, float] = field(
        default_factory=lambda: {
            "noise": 4.0,
            "momentum": 6.0,
            "mean_reversion": 4.0,
            "gambler": 16.0,
            "basis": 3.0,
        }
    )
    leverage_sigma: float = 0.35
    stake_min: float = 0.1
    stake_max: float = 0.5
    holding_mean: float = 48.0
    adjust: float = 0.2
    activity: float = 0.02
    momentum_lookback: float = 24.0
    reversion_window: float = 48.0
    appetite: float = 1.0
    appetite_sensitivity: float = 0.3
    exit_after_loss: float = 0.5
    funding_tolerance: float = 0.25
    """A holder on the paying side closes once the funding it expects to pay until its
    planned exit exceeds this share of its position's equity."""
    arrival_rate: float = 0.5
    min_wallet: float = 50.0
    initial_book: InitialBook = field(default_factory=InitialBook)

    def __post_init__(self) -> None:
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
        check_range("traders.wealth_median", self.wealth_median, 0.0, 1e12, lo_open=True)
        check_range("traders.wealth_sigma", self.wealth_sigma, 0.0, 5.0)
        check_range("traders.leverage_sigma", self.leverage_sigma, 0.0, 5.0)
        check_range("traders.stake_min", self.stake_min, 0.0, 1.0, lo_open=True)
        check_range("traders.stake_max", self.stake_max, self.stake_min, 1.0)
        check_range("traders.holding_mean", self.holding_mean, 0.0, 1e9, lo_open=True)
        check_range("traders.adjust", self.adjust, 0.0, 1.0)
        check_range("traders.activity", self.activity, 0.0, 1.0, lo_open=True)
        check_range("traders.momentum_lookback", self.momentum_lookback, 0.0, 1e5, lo_open=True)
        check_range("traders.reversion_window", self.reversion_window, 0.0, 1e5, lo_open=True)
        check_range("leverage_appetite", self.appetite, 0.0, 10.0, lo_open=True)
        check_range("traders.appetite_sensitivity", self.appetite_sensitivity, 0.0, 5.0)
        check_range("traders.exit_after_loss", self.exit_after_loss, 0.0, 1.0)
        check_range("traders.funding_tolerance", self.funding_tolerance, 0.0, 100.0)
        check_range("traders.arrival_rate", self.arrival_rate, 0.0, 1e6)
        check_range("traders.min_wallet", self.min_wallet, 0.0, 1e12)

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
    count: int = 5
    capital: float = 200_000.0
    gas_cost: float = 5.0
    throughput: float = 20.0
    """Liquidations per hour."""
    capital_leverage: float = 20.0

    def __post_init__(self) -> None:
        check_range("liquidators.count", self.count, 0, 10_000)
        check_range("liquidators.capital", self.capital, 0.0, 1e15)
        check_range("liquidators.gas_cost", self.gas_cost, 0.0, 1e9)
        check_range("liquidators.throughput", self.throughput, 0.0, 1e7, lo_open=True)
        check_range("liquidators.capital_leverage", self.capital_leverage, 0.0, 1e6, lo_open=True)


@dataclass
class LPParams:
    count: int = 10
    capital: float = 6_000_000.0
    deposited: float = 0.8
    activity: float = 0.1
    """Chance per hour that an LP reviews its stake."""
    hurdle: float = 0.10
    run_threshold: float = 0.3
    run_share: float = 0.5
    window: float = 168.0
    """Hours of share-price history behind the yield an LP compares with its hurdle."""

    def __post_init__(self) -> None:
        check_range("lps.count", self.count, 0, 100_000)
        check_range("lps.capital", self.capital, 0.0, 1e15)
        check_range("lps.deposited", self.deposited, 0.0, 1.0)
        check_range("lps.activity", self.activity, 0.0, 1.0)
        check_range("lps.hurdle", self.hurdle, -1.0, 10.0)
        check_range("lps.run_threshold", self.run_threshold, 0.0, 10.0)
        check_range("lps.run_share", self.run_share, 0.0, 1.0)
        check_range("lps.window", self.window, 0.0, 1e6, lo_open=True)
