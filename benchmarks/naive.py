"""The naive reference: the same model driven by a plain Mesa loop over every trader.

Every step, every trader is activated through Mesa's
``agents_by_type[Trader].shuffle_do(...)``. In its turn each trader decides by itself
whether its wake-up time has come, acts if so (see `acting`), and checks its own margin with Python
scalar arithmetic: equity against the maintenance requirement. A trader below
maintenance flags itself with the liquidator's expected reward; the liquidators then work
through the flagged positions, most rewarding first. There is no vectorised wake-up scan
and no vectorised margin check.

How a due trader acts (`acting`):

* ``"own_turn"`` (the plain Mesa loop, the reference for the target): each due trader
  decides alone in its own turn, as a plain Mesa agent would: the model's rules
  (`abm.agents.traders.act`) written for one trader in scalar Python (`decide_alone`),
  trading through the exchange's one-position calls (`Exchange.open`, `Exchange.close`);
* ``"batched"`` (a stricter comparison): due traders register in their turn and, after
  the loop, act together through the real model's own batch decision (the same decisions
  through the same exchange calls), then check their margins. Acting costs are then
  identical in both models and the difference is the per-agent loop itself: activation,
  wake-up checks and margin checks.

Everything else in the step (market, arrivals, liquidators, waterfall, LPs, governance,
measurement, data collection) is the real model's own code: `step` runs the parent
step with two substitutions, so the reference follows the model as it changes:

* `_due_traders()` runs the Mesa loop above; it returns no slots for the parent to act
  on (``"own_turn"``) or the slots that registered (``"batched"``);
* `exchange.liquidation_queue()` returns the positions the traders flagged.

`step` raises if the parent step stopped calling either hook (update this file then).

With `naive = False` the model is exactly `ExchangeModel` (the hooks delegate to it), which
the benchmark uses for a fast warm-up: a naive and a real model built with the same seed
and warmed up this way are in the same state when timing starts.

Known, intended differences from the real model (the same market, not the same numbers):
the activation order comes from Mesa's shuffle (`model.random`) rather than a numpy
permutation of the due traders, so the random streams diverge after the first step; and
a flagged position's expected reward uses the vault depth at its owner's turn.
"""

from __future__ import annotations

import bisect

import numpy as np

from abm.agents.compat import step_of
from abm.agents.traders import (
    BASIS,
    MEAN_REVERSION,
    MOMENTUM,
    Trader,
    fund_appetite,
    funding_bleeds,
)
from abm.exchange import risk
from abm.exchange.exchange import LiquidationQueue
from abm.model import ExchangeModel

ACTING = ("batched", "own_turn")


class NaiveExchangeModel(ExchangeModel):
    """`ExchangeModel` stepped by a plain Mesa loop with a per-agent margin check."""

    naive = True
    """False: behave exactly like `ExchangeModel` (used to warm up quickly)."""

    acting = "batched"
    """How due traders act: together after the loop, or each in its own turn (see above)."""

    def __init__(self, *, acting: str = "batched", **kwargs) -> None:
        if acting not in ACTING:
            raise ValueError(f"acting must be one of {ACTING}, got {acting!r}")
        self.acting = acting
        self._flagged: list[tuple[int, float, float, float]] = []
        self._registered: list[Trader] = []
        self._hooks_called = 0
        super().__init__(**kwargs)
        exchange = self.exchange
        self._vectorised_queue = exchange.liquidation_queue
        exchange.liquidation_queue = self._flagged_queue  # instance attribute: this model only

    # -- the step -----------------------------------------------------------------------
    def step(self) -> None:
        if not self.naive:
            super().step()
            return
        self._hooks_called = 0
        self._flagged = []
        self._registered = []
        super().step()
        if self._hooks_called != 2:
            raise RuntimeError(
                "ExchangeModel.step no longer calls _due_traders() and "
                "exchange.liquidation_queue() once each; update benchmarks/naive.py"
            )

    def _due_traders(self):
        if not self.naive:
            return super()._due_traders()
        self._hooks_called += 1
        self.agents_by_type[Trader].shuffle_do(self._turn_function())
        return np.array([t.slot for t in self._registered], dtype=np.int64)

    def _turn_function(self):
        """One trader's turn: act (or register) if due, then check its own margin."""
        wake, now = self._wake, step_of(self)
        by_slot, registered = self.traders_by_slot, self._registered
        check = self._margin_check_function()
        own_turn = self.acting == "own_turn"

        def turn(trader: Trader) -> None:
            slot = trader.slot
            if wake[slot] <= now:
                if not own_turn:
                    registered.append(trader)  # acts after the loop; checks its margin then
                    return
                decide_alone(self, trader)
                if by_slot[slot] is not trader:  # it left the market
                    return
            check(slot)

        return turn

    def _margin_check_function(self):
        """A trader's own margin check in scalar Python; flags it when below maintenance."""
        ex = self.exchange
        book, ledger, p = ex.book, ex.ledger, ex.params
        size_of, entry_of, margin_id = book.size, book.entry, book.margin_id
        mark = float(ex.mark)
        flagged = self._flagged
        mmr, tiers = p.maintenance_margin, bool(p.mm_tiers)
        if tiers:
            rates, deductions = (a.tolist() for a in risk.tier_table(p.mm_tiers))
            floors = [f for f, _ in p.mm_tiers]
        partial = p.partial_liquidation
        target, rate, fund_share = p.initial_margin, p.penalty_rate, p.penalty_fund_share
        bankrupt_to_liquidator = p.bankrupt_penalty_to_liquidator

        def check(slot: int) -> None:
            size = float(size_of[slot])
            if size == 0.0:
                return
            notional = abs(size) * mark
            equity = ledger.get(margin_id(slot)) + size * (mark - float(entry_of[slot]))
            if tiers:
                k = bisect.bisect_right(floors, notional) - 1
                maintenance = notional * rates[k] - deductions[k]
            else:
                maintenance = notional * mmr
            if equity >= maintenance:
                return
            # Below maintenance: the share a liquidator would close, and its reward.
            frac = 1.0
            if partial:
                cost = p.half_spread + rate + p.slippage * notional / max(ex.vault.balance, 1.0)
                ratio = equity / notional
                if target > cost and ratio > cost:
                    frac = min(max((target - ratio) / (target - cost), 0.0), 1.0)
                if frac * notional < p.min_partial_notional or equity <= 0:
                    frac = 1.0
            closed = frac * notional
            nominal = rate * closed
            if equity < 0 and bankrupt_to_liquidator:
                reward = nominal
            else:
                reward = min(nominal, max(equity, 0.0)) * (1.0 - fund_share)
            flagged.append((slot, reward, closed, frac))

        return check

    def _flagged_queue(self) -> LiquidationQueue:
        """The positions the traders flagged this step, most rewarding first."""
        if not self.naive:
            return self._vectorised_queue()
        self._hooks_called += 1
        if self._registered:  # batched acting: the traders who just acted check now
            check, by_slot = self._margin_check_function(), self.traders_by_slot
            for trader in self._registered:
                if by_slot[trader.slot] is trader:
                    check(trader.slot)
        flagged = sorted(self._flagged, key=lambda item: -item[1])
        slots = np.array([item[0] for item in flagged], dtype=np.int64)
        reward = np.array([item[1] for item in flagged], dtype=float)
        closed = np.array([item[2] for item in flagged], dtype=float)
        frac = np.array([item[3] for item in flagged], dtype=float)
        return LiquidationQueue(slots, frac, closed, reward)


def decide_alone(model: ExchangeModel, trader: Trader) -> None:
    """One trader's decision by the rules of `abm.agents.traders.act`, in scalar Python.

    The same rules with the same parameters (durations and rates in hours, converted by
    the market's clock); each draw is taken for this trader alone, so the random streams
    differ from the batch decision's.
    """
    ex, tp, st = model.exchange, model.trader_params, model.trader_state
    book, rng, now, slot, clock = ex.book, model.trader_rng, step_of(model), trader.slot, ex.clock
    losses = int(book.adl_hits[slot] + book.socialized_hits[slot])
    hit = losses > st.seen_losses[slot]
    st.seen_losses[slot] = losses
    leave = hit and rng.random() < tp.exit_after_loss

    size = float(book.size[slot])
    wallet = ex.ledger.get(book.wallet_id(slot))
    style = int(st.style[slot])
    signal = 0.0
    if style == MOMENTUM:
        signal = ex.market.log_return(clock.steps(tp.momentum_lookback))
    elif style == MEAN_REVERSION:
        signal = -ex.market.deviation_from_mean(clock.steps(tp.reversion_window, minimum=2))
    elif style == BASIS:
        signal = -ex.funding_rate
    direction = (signal > 0) - (signal < 0)
    held_side = (size > 0) - (size < 0)

    holding = size != 0 and not leave
    flipped = direction != 0 and direction != held_side
    exit_at = int(st.opened_at[slot] + st.hold_for[slot])
    close = holding and (now >= exit_at or flipped)
    if holding and not close and ex.funding_rate != 0:
        close = bool(
            funding_bleeds(ex, tp, np.array([exit_at]), np.array([slot]), np.array([size]), now)[0]
        )
    adjust = holding and not close and rng.random() < tp.adjust
    winning = size * (ex.mark - float(book.entry[slot])) >= 0
    add = adjust and winning and wallet >= tp.min_wallet
    halve = adjust and not winning
    flat = size == 0 and not leave
    broke = flat and wallet < tp.min_wallet
    opening = flat and not broke and not (style == BASIS and direction == 0)

    if close:
        ex.close(slot)
    elif halve:
        ex.close(slot, 0.5)
    if add or opening:
        appetite = tp.appetite * fund_appetite(model.fund_confidence, tp.appetite_sensitivity)
        leverage = min(float(st.base_leverage[slot]) * appetite, ex.params.max_leverage)
        side = held_side if holding else direction or (1 if rng.random() < 0.5 else -1)
        accepted = ex.open(slot, side, wallet * float(st.stake[slot]), leverage)
        if accepted and opening:
            st.opened_at[slot] = now
            st.hold_for[slot] = rng.geometric(min(1.0, clock.step_hours / tp.holding_mean))

    if leave or broke:
        model.trader_leaves(trader, reason="loss" if leave else "broke")
        return
    wait = int(rng.geometric(clock.chance(tp.activity)))
    if book.size[slot] != 0:
        exit_in = int(st.opened_at[slot] + st.hold_for[slot] - now)
        wait = max(1, min(wait, exit_in))
    model.wake(slot, now + wait)
