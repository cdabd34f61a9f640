"""Leveraged traders: they choose a side, a size, a leverage and a holding time.

Five styles share one class: noise traders pick a side at random, momentum traders
follow the last day's return, mean-reverters bet against the deviation from the two-day
mean, gamblers take high leverage, basis traders take the side that receives
funding. Every holder weighs the funding it pays in deciding how long to hold. Leverage
appetite rises with fund health (a strong fund gives confidence); traders who suffer ADL
or a socialised loss may leave.

Traders choose when they next look at the market; all traders due in a step decide
together in `act`, one vectorised pass, and trade through the exchange's batch orders.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from ..exchange import risk
from .compat import step_of
from .params import STYLES


class TraderState:
    """Per-slot behavioural state of all traders, in arrays the batch decision reads."""

    def __init__(self, capacity: int, markets: int = 1) -> None:
        self.style = np.zeros(capacity, dtype=np.int8)
        self.base_leverage = np.ones(capacity)
        self.stake = np.zeros(capacity)
        self.opened = np.zeros((markets, capacity), dtype=np.int64)
        """When each position opened, a row per market (one row when accounts trade one
        market each)."""
        self.held = np.zeros((markets, capacity), dtype=np.int64)
        """How many steps each position is planned to be held, a row per market."""
        self.seen_losses = np.zeros(capacity, dtype=np.int64)
        self.agent_id = np.full(capacity, -1, dtype=np.int64)

    def assign(self, slots: np.ndarray, drawn: dict[str, np.ndarray]) -> None:
        self.style[slots] = [STYLES.index(s) for s in drawn["style"]]
        self.base_leverage[slots] = drawn["leverage"]
        self.stake[slots] = drawn["stake"]
        self.opened[:, slots] = 0
        self.held[:, slots] = 0
        self.seen_losses[slots] = 0

    @property
    def opened_at(self) -> np.ndarray:
        """The first market's opening steps (every position's with one market per account)."""
        return self.opened[0]

    @property
    def hold_for(self) -> np.ndarray:
        return self.held[0]


MOMENTUM, MEAN_REVERSION = STYLES.index("momentum"), STYLES.index("mean_reversion")
BASIS = STYLES.index("basis")
STYLE_DTYPE = pd.CategoricalDtype(STYLES)


class Trader(mesa.Agent):
    """One trader: slot `slot` of the position book, in one market or, as an account
    (accounts.py), in several.

    Its behavioural state lives in the model's `TraderState` arrays so that all traders
    due in a step decide together in `act`; `step()` makes one trader decide alone.
    """

    def __init__(self, model, slot: int) -> None:
        super().__init__(model)
        self.slot = slot
        model.trader_state.agent_id[slot] = self.unique_id

    def remove(self) -> None:
        self.model.trader_state.agent_id[self.slot] = -1
        super().remove()

    @property
    def style(self) -> str:
        return STYLES[self.model.trader_state.style[self.slot]]

    # -- what the data collector reads -------------------------------------------------
    @property
    def equity(self) -> float:
        return float(_accounts(self.model, np.array([self.slot]))["equity"][0])

    @property
    def leverage(self) -> float:
        return float(_accounts(self.model, np.array([self.slot]))["leverage"][0])

    @property
    def liquidated(self) -> int:
        accounts = self.model.accounts
        if accounts is not None:
            return int(accounts.columns(np.array([self.slot]))["liquidated"][0])
        return int(self.model.exchange_of(self.slot).book.liquidated[self.slot])

    @property
    def liquidation_price(self) -> float:
        """Where this position (an account's largest) would fall below maintenance margin
        (nan when flat)."""
        return float(_liquidation_prices(self.model, np.array([self.slot]))[0])

    def step(self) -> None:
        self.model.act_traders(np.array([self.slot]))


def _liquidation_prices(model, slots: np.ndarray) -> np.ndarray:
    """Isolated-margin liquidation prices under each market's maintenance rule, tiers
    included (nan when flat)."""
    if model.accounts is not None:
        return model.accounts.columns(slots)["liquidation_price"]
    out = np.empty(slots.size)
    for ex, part in model.markets_of(slots):
        book, s = ex.book, slots[part]
        size = book.size[s]
        price = risk.liquidation_price(size, book.entry[s], book.margin[s], ex.params)
        out[part] = np.where(size != 0, price, np.nan)
    return out


def _accounts(model, slots: np.ndarray) -> dict[str, np.ndarray]:
    """Equity (wallet plus position) and leverage (0 when flat, inf when underwater), each
    trader in its own market, or each account over all its markets."""
    if model.accounts is not None:
        cols = model.accounts.columns(slots)
        return {"equity": cols["equity"], "leverage": cols["leverage"]}
    equity, leverage = np.empty(slots.size), np.empty(slots.size)
    for ex, part in model.markets_of(slots):
        book, s = ex.book, slots[part]
        size, margin, entry = book.size[s], book.margin[s], book.entry[s]
        position_equity = risk.equity(margin, size, entry, ex.mark)
        notional = risk.notional(size, ex.mark)
        with np.errstate(divide="ignore", invalid="ignore"):
            leverage[part] = np.where(
                size == 0, 0.0, np.where(position_equity > 0, notional / position_equity, np.inf)
            )
        equity[part] = book.wallet[s] + position_equity
    return {"equity": equity, "leverage": leverage}


def trader_columns(model) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every trader's equity, leverage, liquidations and style, computed from the arrays."""
    st = model.trader_state
    slots = np.flatnonzero(st.agent_id >= 0)
    if model.accounts is not None:
        values = model.accounts.columns(slots)
    else:
        liquidated = np.empty(slots.size, dtype=np.int64)
        for ex, part in model.markets_of(slots):
            liquidated[part] = ex.book.liquidated[slots[part]]
        values = {
            **_accounts(model, slots),
            "liquidation_price": _liquidation_prices(model, slots),
            "liquidated": liquidated,
        }
    return st.agent_id[slots], {
        **values,
        # Codes are indices into STYLES by construction, so pandas need not re-check them.
        "style": pd.Categorical.from_codes(st.style[slots], dtype=STYLE_DTYPE, validate=False),
    }


def funding_bleeds(ex, tp, exit_at: np.ndarray, slots: np.ndarray, size: np.ndarray, now: int):
    """Holders whose funding until their planned exit, at the last rate, would cost more
    than `funding_tolerance` of their position's equity."""
    hours_left = np.maximum(exit_at - now, 1) * ex.clock.step_hours
    cost = ex.funding_rate * size * ex.mark * hours_left
    equity = risk.equity(ex.margins()[slots], size, ex.book.entry[slots], ex.mark)
    return cost > tp.funding_tolerance * np.maximum(equity, 0.0)


APPETITE_FLOOR = 0.2
"""The least share of their leverage traders keep however weak the fund."""


def fund_appetite(confidence: float, sensitivity: float) -> float:
    """How fund health scales leverage: 1 + sensitivity × (confidence − 1), confidence
    being fund / open interest over its target capped to [0, 2], so within
    [max(APPETITE_FLOOR, 1 − sensitivity), 1 + sensitivity]; see docs/calibration.md."""
    confidence = min(max(confidence, 0.0), 2.0)
    return max(APPETITE_FLOOR, 1.0 + sensitivity * (confidence - 1.0))


def act(model, slots: np.ndarray, ex=None, *, schedule: bool = True) -> None:
    """Every trader in `slots` decides and acts in market `ex` (the model's first market
    by default), then (with `schedule`) chooses when to look again.

    Rules, per trader: after an ADL or a socialised loss it may leave; a holder closes
    when its holding time is up, its signal turns against it or the funding it would pay
    until then exceeds `funding_tolerance` of its equity, and otherwise sometimes adds to
    a winner or halves a loser; a flat trader with money opens a position on its signal's
    side (noise traders and gamblers toss a coin; basis traders take the side that
    receives funding, and wait while none is paid) at its leverage, scaled by appetite and
    by confidence in the insurance fund; a flat trader without money leaves (an account
    trading several markets: once flat in all of them, its cash in its home wallet).
    """
    ex = model.exchange if ex is None else ex
    tp, st, accounts = model.trader_params, model.trader_state, model.accounts
    book, rng, now = ex.book, model.trader_rng, step_of(model)
    n = slots.size
    if n == 0:
        return
    row = 0 if accounts is None else accounts.index(ex)
    opened_at, hold_for = st.opened[row], st.held[row]
    if accounts is None:
        losses = book.adl_hits[slots] + book.socialized_hits[slots]
    else:
        losses = accounts.loss_hits(slots)
    hit = losses > st.seen_losses[slots]
    st.seen_losses[slots] = losses
    leave = hit & (rng.random(n) < tp.exit_after_loss)

    size = book.size[slots]
    if accounts is None:
        wallet = ex.ledger.balances_of(book.wallet_ids[slots])
    else:
        accounts.sweep(row, slots)
        wallet = ex.ledger.balances_of(accounts.home_wallets(slots))
    style = st.style[slots]
    signal = np.zeros(n)
    clock = ex.clock
    signal[style == MOMENTUM] = ex.market.log_return(clock.steps(tp.momentum_lookback))
    signal[style == MEAN_REVERSION] = -ex.market.deviation_from_mean(
        clock.steps(tp.reversion_window, minimum=2)
    )
    rate = ex.funding_rate
    signal[style == BASIS] = -rate
    direction = np.sign(signal)

    holding = (size != 0) & ~leave
    flipped = (direction != 0) & (direction != np.sign(size))
    close = holding & ((now - opened_at[slots] >= hold_for[slots]) | flipped)
    if rate != 0:
        close |= holding & funding_bleeds(
            ex, tp, opened_at[slots] + hold_for[slots], slots, size, now
        )
    adjust = holding & ~close & (rng.random(n) < tp.adjust)
    winning = size * (ex.mark - book.entry[slots]) >= 0
    add = adjust & winning & (wallet >= tp.min_wallet)
    halve = adjust & ~winning
    flat = (size == 0) & ~leave
    poor = flat & (wallet < tp.min_wallet)
    broke = poor if accounts is None else poor & ~accounts.open_elsewhere(row, slots)
    opening = flat & ~poor & ~((style == BASIS) & (direction == 0))

    appetite = tp.appetite * fund_appetite(model.fund_confidence, tp.appetite_sensitivity)
    leverage = np.minimum(st.base_leverage[slots] * appetite, ex.params.max_leverage)
    coin = np.where(rng.random(n) < 0.5, 1, -1)
    side = np.where(holding, np.sign(size), np.where(direction != 0, direction, coin))

    closing = close | halve
    if accounts is not None:
        accounts.cover(row, slots[closing])
    ex.close_many(slots[closing], np.where(close, 1.0, 0.5)[closing])
    growing = add | opening
    collateral = (wallet * st.stake[slots])[growing]
    if accounts is not None:
        accounts.fund(row, slots[growing], collateral)
    accepted = ex.open_many(
        slots[growing],
        side[growing].astype(np.int64),
        collateral,
        leverage[growing],
    )
    if accounts is not None:
        accounts.sweep(row, slots)
    fresh = slots[growing][accepted & opening[growing]]
    opened_at[fresh] = now
    hold_for[fresh] = rng.geometric(min(1.0, clock.step_hours / tp.holding_mean), fresh.size)

    by_slot = model.traders_by_slot
    for slot in slots[leave].tolist():
        model.trader_leaves(by_slot[slot], reason="loss")
    for slot in slots[broke].tolist():
        model.trader_leaves(by_slot[slot], reason="broke")

    if schedule:
        stay = slots[~(leave | broke)]
        wait = rng.geometric(clock.chance(tp.activity), stay.size)
        open_now = book.size[stay] != 0
        exit_in = opened_at[stay] + hold_for[stay] - now
        wait = np.where(open_now, np.maximum(1, np.minimum(wait, exit_in)), wait)
        model.wake(stay, now + wait)


def schedule_accounts(model, slots: np.ndarray) -> None:
    """Accounts trading several markets choose when to look again, once for all their
    markets: at their activity rate, and no later than their soonest planned exit."""
    st, now = model.trader_state, step_of(model)
    stay = slots[st.agent_id[slots] >= 0]
    wait = model.trader_rng.geometric(
        model.exchange.clock.chance(model.trader_params.activity), stay.size
    )
    exit_in = model.accounts.exit_in(stay, st.opened, st.held, now)
    wait = np.where(np.isfinite(exit_in), np.maximum(1, np.minimum(wait, exit_in)), wait)
    model.wake(stay, now + wait.astype(np.int64))
