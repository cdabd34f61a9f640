"""Leveraged traders: they choose a side, a size, a leverage and a holding time.

Four styles share one class: noise traders pick a side at random, momentum traders
follow the last day's return, mean-reverters bet against the deviation from the two-day
mean, gamblers take near-maximum leverage. Leverage appetite rises with fund health
(a strong fund gives confidence); traders who suffer ADL or a socialised loss may leave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random

import mesa
import numpy as np

from ..exchange.params import check_range

STYLES = ("noise", "momentum", "mean_reversion", "gambler")


def geometric(random: Random, p: float) -> int:
    """Steps until the first success of a chance-`p` trial (1, 2, ...), by inversion."""
    if p >= 1.0:
        return 1
    return 1 + int(math.log(1.0 - random.random()) / math.log1p(-p))


@dataclass
class TraderParams:
    """Distributions traders are drawn from; one step is one hour by default."""

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
        }
    )
    leverage_sigma: float = 0.35
    stake_min: float = 0.1
    stake_max: float = 0.5
    holding_mean: float = 48.0
    adjust: float = 0.2
    activity: float = 0.02
    momentum_lookback: int = 24
    reversion_window: int = 48
    appetite: float = 1.0
    appetite_sensitivity: float = 0.3
    exit_after_loss: float = 0.5
    arrival_rate: float = 0.5
    min_wallet: float = 50.0

    def __post_init__(self) -> None:
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
        check_range("traders.holding_mean", self.holding_mean, 1.0, 1e9)
        check_range("traders.adjust", self.adjust, 0.0, 1.0)
        check_range("traders.activity", self.activity, 0.0, 1.0, lo_open=True)
        check_range("traders.momentum_lookback", self.momentum_lookback, 1, 10_000)
        check_range("traders.reversion_window", self.reversion_window, 2, 10_000)
        check_range("leverage_appetite", self.appetite, 0.0, 10.0, lo_open=True)
        check_range("traders.appetite_sensitivity", self.appetite_sensitivity, 0.0, 5.0)
        check_range("traders.exit_after_loss", self.exit_after_loss, 0.0, 1.0)
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


class Trader(mesa.Agent):
    """One trader holding one isolated position in slot `slot` of the position book."""

    def __init__(self, model, slot: int, style: str, leverage: float, stake: float) -> None:
        super().__init__(model)
        self.slot = slot
        self.style = str(style)
        self.base_leverage = float(leverage)
        self.stake = float(stake)
        self.hold_for = 0
        self.opened_at = 0
        self._seen_losses = 0

    # -- what the data collector reads -------------------------------------------------
    @property
    def equity(self) -> float:
        ex = self.model.exchange
        book = ex.book
        return float(
            book.wallet[self.slot]
            + book.margin[self.slot]
            + book.size[self.slot] * (ex.mark - book.entry[self.slot])
        )

    @property
    def leverage(self) -> float:
        ex = self.model.exchange
        book = ex.book
        if book.size[self.slot] == 0:
            return 0.0
        eq = book.margin[self.slot] + book.size[self.slot] * (ex.mark - book.entry[self.slot])
        notional = abs(book.size[self.slot]) * ex.mark
        return notional / eq if eq > 0 else math.inf

    @property
    def liquidated(self) -> int:
        return int(self.model.exchange.book.liquidated[self.slot])

    # -- behaviour ---------------------------------------------------------------------
    def step(self) -> None:
        """Act, then choose when to look at the market again."""
        if self._act():
            self._schedule()

    def _act(self) -> bool:
        """Returns False when the trader left the market."""
        model, ex = self.model, self.model.exchange
        book, tp = ex.book, model.trader_params
        slot = self.slot
        losses = int(book.adl_hits[slot] + book.socialized_hits[slot])
        if losses > self._seen_losses:
            self._seen_losses = losses
            if self.random.random() < tp.exit_after_loss:
                model.trader_leaves(self, reason="loss")
                return False
        wallet = ex.ledger.get(book.wallet_id(slot))
        if book.size[slot] != 0:
            if model.steps - self.opened_at >= self.hold_for or self._signal_flipped():
                ex.close(slot)
            elif self.random.random() < tp.adjust:
                self._adjust(wallet)
            return True
        if wallet < tp.min_wallet:
            model.trader_leaves(self, reason="broke")
            return False
        leverage = min(self._desired_leverage(), ex.params.max_leverage)
        if ex.open(slot, self._choose_side(), wallet * self.stake, leverage):
            self.opened_at = model.steps
            self.hold_for = geometric(self.random, 1.0 / tp.holding_mean)
        return True

    def _schedule(self) -> None:
        """Idle traders look again after a geometric wait; holders also at their exit time."""
        model = self.model
        wait = geometric(self.random, model.trader_params.activity)
        if model.exchange.book.size[self.slot] != 0:
            wait = max(1, min(wait, self.opened_at + self.hold_for - model.steps))
        model.wake(self.slot, model.steps + wait)

    def _adjust(self, wallet: float) -> None:
        """Add to a winner on the same side, or halve a loser."""
        ex = self.model.exchange
        size = ex.book.size[self.slot]
        if size * (ex.mark - ex.book.entry[self.slot]) >= 0:
            if wallet >= self.model.trader_params.min_wallet:
                leverage = min(self._desired_leverage(), ex.params.max_leverage)
                ex.open(self.slot, int(np.sign(size)), wallet * self.stake, leverage)
        else:
            ex.close(self.slot, 0.5)

    def _signal(self) -> float:
        market, tp = self.model.exchange.market, self.model.trader_params
        if self.style == "momentum":
            return market.log_return(tp.momentum_lookback)
        if self.style == "mean_reversion":
            return -market.deviation_from_mean(tp.reversion_window)
        return 0.0

    def _choose_side(self) -> int:
        s = self._signal()
        if s != 0.0:
            return 1 if s > 0 else -1
        return 1 if self.random.random() < 0.5 else -1

    def _signal_flipped(self) -> bool:
        if self.style not in ("momentum", "mean_reversion"):
            return False
        s = self._signal()
        return s != 0.0 and np.sign(s) != np.sign(self.model.exchange.book.size[self.slot])

    def _desired_leverage(self) -> float:
        """Base leverage scaled by appetite and by confidence in the insurance fund."""
        tp = self.model.trader_params
        confidence = min(self.model.fund_confidence, 2.0)
        return self.base_leverage * tp.appetite * (1.0 + tp.appetite_sensitivity * (confidence - 1))
