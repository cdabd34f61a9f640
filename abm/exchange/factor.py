"""A common factor that moves several markets together (a one-factor model).

Each market's log return per step is its own move (its volatility and jumps, as in
`market.py`) plus ``beta × F``, where ``F`` is the factor's log return: a Gaussian shock
with `annual_vol`, jumps of its own, and scripted shocks. A BTC crash scripted on the
factor drags every market by its beta (a beta of 2 turns a 14 % fall, −0.151 in log
price, into −0.302: a 26 % fall), and each market keeps shocks of its own. With a
`replay_path`, the factor's moves are the log returns of a recorded series (BTC's on
10 Oct 2025, say), so markets without a recording of their own follow it by their beta.

The correlation of two markets' Gaussian parts is
``β₁β₂σ_F² / √((β₁²σ_F² + σ₁²)(β₂²σ_F² + σ₂²))`` (σ per step). The factor's drift is
compensated per market, so that a market's expected return stays its `annual_drift`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .clock import HOURS_PER_YEAR, Clock
from .market import Shock, jump_compensator, load_price_csv
from .params import check_range


@dataclass(frozen=True)
class FactorParams:
    """The common factor: its volatility per year, jumps per hour and scripted shocks."""

    annual_vol: float = 0.5
    jump_intensity: float = 0.0
    jump_mean: float = -0.03
    jump_std: float = 0.05
    shocks: tuple[Shock, ...] = ()
    replay_path: str | None = None
    replay_column: str = "close"

    def __post_init__(self) -> None:
        check_range("factor.annual_vol", self.annual_vol, 0.0, 20.0)
        check_range("factor.jump_intensity", self.jump_intensity, 0.0, 1.0)
        check_range("factor.jump_mean", self.jump_mean, -1.0, 1.0)
        check_range("factor.jump_std", self.jump_std, 0.0, 1.0)


class CommonFactor:
    """Draws the factor's move once per step, however many markets ask for it."""

    def __init__(self, params: FactorParams, step_hours: float, rng: np.random.Generator):
        self.params = params
        self.clock = Clock(step_hours)
        self.rng = rng
        self._sigma = params.annual_vol * math.sqrt(step_hours / HOURS_PER_YEAR)
        self._jump_chance = self.clock.chance(params.jump_intensity)
        self._t = 0
        self._move = 0.0
        self.replay = None
        if params.replay_path:
            series = load_price_csv(params.replay_path, "factor.replay_path", params.replay_column)
            self.replay = np.diff(np.log(series))

    def move(self, t: int) -> float:
        """The factor's log return in step `t` (steps are asked for in order)."""
        if t != self._t:
            if t != self._t + 1:
                raise ValueError(f"the factor is at step {self._t}; step {t} was asked for")
            p = self.params
            if self.replay is not None:
                move = float(self.replay[t - 1]) if t <= self.replay.size else 0.0
            else:
                move = self._sigma * self.rng.standard_normal()
                if p.jump_intensity > 0 and self.rng.random() < self._jump_chance:
                    move += p.jump_mean + p.jump_std * self.rng.standard_normal()
            self._t, self._move = t, move
        return self._move

    def compensator(self, beta: float) -> float:
        """Log drift per step that cancels the mean of exp(β F): Gaussian and jumps (a
        recorded series is followed as it is)."""
        p = self.params
        if self.replay is not None:
            return 0.0
        gaussian = 0.5 * (beta * self._sigma) ** 2
        jumps = jump_compensator(self._jump_chance, beta * p.jump_mean, abs(beta) * p.jump_std)
        return gaussian + jumps

    def shock_offset(self, t: int) -> float:
        """The scripted shocks' log offset at step `t`."""
        dt = self.clock.step_hours
        return sum(s.offset(t * dt, dt) for s in self.params.shocks)


@dataclass(frozen=True)
class Loading:
    """How one market follows the factor: its beta and the factor it follows."""

    factor: CommonFactor
    beta: float

    def __post_init__(self) -> None:
        check_range("beta", self.beta, -10.0, 10.0)

    def move(self, t: int) -> float:
        """This market's share of the factor's move in step `t`, drift compensated."""
        return self.beta * self.factor.move(t) - self.factor.compensator(self.beta)

    def shock_offset(self, t: int) -> float:
        return self.beta * self.factor.shock_offset(t)
