"""Funding between longs, shorts and the pool, and the cumulative indexes that carry it.

A rule turns the pool's skew into a funding rate each interval (see docs/funding.md for
each venue's formula and source). What a position owes accrues on per-market cumulative
indexes, as on Drift, GMX and Aave, and is settled into the ledger only when the position
is touched or at an interval: a step costs a few scalar updates instead of a pass over
every position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FUNDING_RULES = ("none", "dydx_v4", "hyperliquid", "drift_v2", "binance", "bitmex", "gmx_v2")

INTEREST_8H = 0.0001
"""The interest component, 0.01 % per 8 hours (dYdX's default funding, Hyperliquid,
Binance, BitMEX)."""
DAMPENER = 0.0005
IMPACT_MARGIN = 500.0
"""Impact notional = this margin at maximum leverage (dYdX: 500 USDC / IMF)."""
INTERVAL_HOURS = {
    "none": 1.0,
    "dydx_v4": 1.0,
    "hyperliquid": 1.0,
    "drift_v2": 1.0,
    "binance": 8.0,
    "bitmex": 8.0,
    "gmx_v2": 0.0,
}
"""How often each rule pays, in hours (0: every step, GMX's continuous accrual)."""


MAX_SLIP = 0.5
"""The most a price slips off the reference, either way: an order's execution cost
(`liquidation.cost_rate`) and the pool's mid alike, so no price the pool quotes is zero
or negative however thin it is."""


def pool_skew(long_base: float, short_base: float, price: float, depth: float, slippage: float):
    """The pool's mid price premium: the traders' net notional slips it like one order."""
    return _clamp(slippage * (long_base - short_base) * price / depth, MAX_SLIP)


def premium(rule: str, mid: float, reach: float) -> float:
    """One premium sample, as a fraction of the index, for a pool quoting around `mid`
    (its mid price over the index) at ± `reach` for the impact notional.

    Drift compares the mid itself; the others use impact prices:
    (max(0, impact bid − index) − max(0, index − impact ask)) / index.
    """
    if rule == "drift_v2":
        return mid - 1.0
    return max(0.0, mid * (1.0 - reach) - 1.0) - max(0.0, 1.0 - mid * (1.0 + reach))


def _clamp(x: float, bound: float) -> float:
    return min(max(x, -bound), bound)


def interval_rate(rule: str, premium: float, im: float, mm: float) -> float:
    """The rate paid at one interval of `rule` from the interval's mean premium."""
    if rule == "dydx_v4":
        return _clamp(premium + INTEREST_8H, 6.0 * (im - mm)) / 8.0
    if rule == "drift_v2":
        return _clamp(premium + 1.0 / 5000.0, 1.0 / 33.0) / 24.0
    rate = premium + _clamp(INTEREST_8H - premium, DAMPENER)
    if rule == "hyperliquid":
        return _clamp(rate / 8.0, 0.04)
    if rule == "binance":
        return _clamp(rate, mm)
    if rule == "bitmex":
        return _clamp(rate, 0.75 * (im - mm))
    raise ValueError(f"funding_rule {rule!r} has no interval rate")


@dataclass
class AdaptiveFunding:
    """GMX v2's adaptive funding factor, per hour (`fundingRateConfig_Default`).

    `factor` is signed: positive while longs pay. It grows with the imbalance while the
    skew stays on its side above `stable`, decays below `decrease_below`, and turns when
    the skew flips.
    """

    cap: float = 0.9 / 8760.0
    increase: float = 0.9 / 8760.0 / 3.0
    """Per hour per hour at 100 % imbalance: the cap in 3 hours."""
    decrease: float = 0.9 / 8760.0 / 48.0
    stable: float = 0.04
    decrease_below: float = 0.0
    factor: float = 0.0

    def update(self, long_oi: float, short_oi: float, hours: float) -> float:
        total = long_oi + short_oi
        if total <= 0:
            return self.factor
        imbalance = abs(long_oi - short_oi) / total
        skew = 1.0 if long_oi > short_oi else -1.0
        same_side = self.factor * skew > 0
        f = self.factor
        if not same_side or imbalance > self.stable:
            f += skew * imbalance * self.increase * hours
        elif imbalance < self.decrease_below and f != 0:
            f = math.copysign(max(abs(f) - self.decrease * hours, 0.0), f)
        self.factor = _clamp(f, self.cap)
        return self.factor


class Accruals:
    """Per-market cumulative indexes and each slot's snapshot of them.

    `funding[0]` and `funding[1]` are what one unit of signed size has owed since the
    start on the long and on the short side (a short of size −1 owes −funding[1]);
    `borrow` and `loss` are owed per unit of absolute size (borrow fees, losses socialised
    through funding). A slot owes size × (index − snapshot).
    """

    def __init__(self, capacity: int) -> None:
        self.funding = np.zeros(2)
        self.borrow = 0.0
        self.loss = 0.0
        self.snap_funding = np.zeros(capacity)
        self.snap_borrow = np.zeros(capacity)
        self.snap_loss = np.zeros(capacity)
        self.funding_live = False
        self.loss_live = False
        self.dirty = False
        """Something accrued since every slot last settled."""
        self._pending: np.ndarray | None = None
        self._snapped = False

    def owed(self, size: np.ndarray, slots=slice(None)) -> tuple[np.ndarray | None, ...]:
        """(funding, borrow, loss) owed by positions of `size` in `slots`; funding and loss
        are None while their index has not moved."""
        absolute = np.abs(size)
        borrow = absolute * (self.borrow - self.snap_borrow[slots])
        funding = loss = None
        if self.funding_live:
            index = np.where(size > 0, self.funding[0], self.funding[1])
            index -= self.snap_funding[slots]
            funding = size * index
        if self.loss_live:
            loss = absolute * (self.loss - self.snap_loss[slots])
        return funding, borrow, loss

    def pending(self, size: np.ndarray) -> np.ndarray:
        """What every slot owes in all, for margin checks (negative: it is owed).

        Kept until an index moves: a settled slot owes nothing whatever its new size.
        """
        if self._pending is None:
            funding, total, loss = self.owed(size)
            for part in (funding, loss):
                if part is not None:
                    total += part
            self._pending = total
        return self._pending

    def mark_settled(self, slots, size: np.ndarray) -> None:
        """Slots of `size` have settled (or opened): they owe nothing from now."""
        self.snap_funding[slots] = np.where(size > 0, self.funding[0], self.funding[1])
        self.snap_borrow[slots] = self.borrow
        self.snap_loss[slots] = self.loss
        self._snapped = True
        if self._pending is not None:
            self._pending[slots] = 0.0

    def rebase(self) -> None:
        """After every slot has settled: start the indexes again from zero (keeps them
        small, so their differences lose no precision)."""
        self.funding[:] = 0.0
        self.borrow = self.loss = 0.0
        if self._snapped:
            self.snap_funding[:] = 0.0
            self.snap_borrow[:] = 0.0
            self.snap_loss[:] = 0.0
            self._snapped = False
        self.funding_live = self.loss_live = self.dirty = False
        self._pending = None

    def add_funding(self, long_per_unit: float, short_per_unit: float) -> None:
        """Longs owe `long_per_unit` per unit of size, shorts `short_per_unit` per unit of
        (negative) size: a short receives when it is positive."""
        self.funding[0] += long_per_unit
        self.funding[1] += short_per_unit
        self.funding_live = self.dirty = True
        self._pending = None

    def add_borrow(self, per_unit: float) -> None:
        self.borrow += per_unit
        self.dirty = True
        self._pending = None

    def add_loss(self, per_unit: float) -> None:
        self.loss += per_unit
        self.loss_live = self.dirty = True
        self._pending = None
