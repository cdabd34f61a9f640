"""Liquidation paths: how much of a position below maintenance closes, at what price, and
who keeps what is left. Pure numpy over arrays of positions; the exchange settles the plan.

Every path takes the trading loss from the margin first; only what is left after the loss
at the fill price can pay a penalty, so a penalty never creates bad debt (dYdX v4:
``ΔIF = quote_received − bankruptcy_quote``, capped at 1.5 %, protocols.md §2). Paths, one
venue's rule each (docs/venues.md):

* ``keeper`` (GMX v2, Perp v2): bots close at the execution price; they get their share of
  the penalty plus `keeper_fee` (GMX's execution fee), the fund the rest of the penalty.
* ``engine`` (BitMEX): the engine takes the position over at the bankruptcy price: the
  trader loses the whole margin, and a fill better than bankruptcy is the fund's.
* ``clearance`` (Binance): the engine closes; a clearance fee of `penalty_rate` goes to the
  fund and the trader keeps the rest.
* ``backstop`` (Hyperliquid): a market liquidation with `penalty_rate` (0 on Hyperliquid);
  below `backstop_ratio` × maintenance the LP vault (HLP) takes the position over at the
  mark and keeps all the equity left.
* ``takeover`` (Drift v2): a liquidator takes the position over at the mark for its fee
  (the penalty's liquidator share; the rest is the fund's fee) and pays the unwind slippage.
* ``book`` (dYdX v4): the liquidation order fills no worse than the oracle ∓
  `fill_spread_mult` × MMF × (1 − equity / maintenance); what does not fill inside that
  bound waits for the next step, unless the account is already bankrupt at the mark.

Positions above `slice_notional` close at most `slice_fraction` per `slice_cooldown_seconds`
(Hyperliquid: 20 % slices above $100k, 30 s apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import risk
from .funding import MAX_SLIP
from .params import ExchangeParams

BOT_PATHS = ("keeper", "takeover")
"""Paths on which liquidator bots act; on the others the protocol's engine does."""


@dataclass(frozen=True)
class Plan:
    """What liquidating each position would do now (arrays, one entry per position)."""

    fraction: np.ndarray
    q: np.ndarray
    closed_notional: np.ndarray
    price: np.ndarray
    trader_price: np.ndarray
    margin_after_loss: np.ndarray
    penalty: np.ndarray
    to_liquidator: np.ndarray
    to_fund: np.ndarray
    keeper_fee: np.ndarray
    unwind_cost: np.ndarray
    remainder: np.ndarray
    """Where the margin left after loss and penalty goes: 0 trader, 1 fund, 2 LP vault."""

    @property
    def reward(self) -> np.ndarray:
        """What a liquidator bot earns: its penalty share and the keeper fee, less the
        unwind slippage it bears on a takeover."""
        return self.to_liquidator + self.keeper_fee - self.unwind_cost


TO_TRADER, TO_FUND, TO_VAULT = 0, 1, 2


def cost_rate(notional, params: ExchangeParams, depth: float):
    """Execution cost per unit of notional against the vault: half spread plus slippage."""
    return np.minimum(params.half_spread + params.slippage * notional / depth, MAX_SLIP)


def slice_cap(notional, params: ExchangeParams, step_hours: float):
    """Largest fraction a position may close this step under the slicing rule."""
    if not np.isfinite(params.slice_notional):
        return np.ones_like(notional)
    cooldown = params.slice_cooldown_seconds
    slices = 1.0 if cooldown <= 0 else max(1.0, np.floor(step_hours * 3600.0 / cooldown))
    cap = min(1.0, params.slice_fraction * slices) if cooldown > 0 else 1.0
    return np.where(notional > params.slice_notional, cap, 1.0)


def book_fill_limit(eq, mm_req, params: ExchangeParams, depth: float):
    """dYdX's fillable price as a notional: the most that fills inside the spread bound."""
    mmf = params.maintenance_margin
    with np.errstate(divide="ignore", invalid="ignore"):
        health = np.clip(np.where(mm_req > 0, eq / mm_req, 0.0), 0.0, 1.0)
    bound = params.fill_spread_mult * mmf * (1.0 - health)
    room = bound - params.half_spread
    if params.slippage == 0:
        return np.where(room >= 0, np.inf, 0.0)
    with np.errstate(over="ignore"):  # a vanishing slippage fills without bound, as 0 does
        return np.maximum(room, 0.0) * depth / params.slippage


def plan(
    margin: np.ndarray,
    size: np.ndarray,
    entry: np.ndarray,
    mark: float,
    params: ExchangeParams,
    depth: float,
    step_hours: float,
    *,
    engine: bool = False,
    cap: np.ndarray | float = 1.0,
    whole: bool = False,
    health: float | None = None,
) -> Plan:
    """The liquidation of positions below maintenance under `params.liquidation_path`.

    `engine` marks a liquidation by the protocol's engine rather than a bot (the
    liquidator's share of a penalty then goes to the fund, and no keeper fee is paid).
    `cap` limits the fraction closed (a bot with too little capital takes a slice);
    `whole` closes whole positions (no partial liquidation, no slices). `health` is the
    account's collateral over its maintenance (cross margin): dYdX v4's fillable price
    reads the subaccount's total net collateral and maintenance, not one position's.
    """
    p = params
    path = p.liquidation_path
    side = np.sign(size)
    n = risk.notional(size, mark)
    eq = risk.equity(margin, size, entry, mark)
    mm_req = risk.maintenance_requirement(n, p)
    frac = np.ones_like(n)
    if p.partial_liquidation and path not in ("engine", "backstop") and not whole:
        frac = partial_fraction(eq, n, p, depth)
    if not whole:
        frac = np.minimum(frac, slice_cap(n, p, step_hours))
    frac = np.minimum(frac, cap)
    takeover = np.zeros(n.shape, dtype=bool)
    if path == "backstop":
        takeover = eq < p.backstop_ratio * mm_req
        frac = np.where(takeover, 1.0, frac)
    if path == "book":
        limit = book_fill_limit(eq if health is None else health * mm_req, mm_req, p, depth)
        with np.errstate(divide="ignore", invalid="ignore"):
            fill = np.where(n > 0, np.minimum(frac, limit / n), 0.0)
        takeover = (eq <= 0) & (fill < frac)
        frac = np.where(takeover, frac, fill)
    q = size * frac
    closed = np.abs(q) * mark
    price = mark * (1.0 - side * cost_rate(closed, p, depth))
    if path == "takeover" and not engine:
        trader_price = np.full_like(price, mark)
        unwind = closed * cost_rate(closed, p, depth)
    else:
        trader_price = np.where(takeover, mark, price)
        unwind = np.zeros_like(closed)
    realized = q * (trader_price - entry)
    left = np.maximum(margin + np.minimum(realized, 0.0), 0.0)
    nominal = p.penalty_rate * closed
    remainder = np.full(n.shape, TO_TRADER)
    if path == "engine":
        nominal = left
        remainder[:] = TO_FUND
    if path == "backstop":
        nominal = np.where(takeover, 0.0, nominal)
        remainder = np.where(takeover, TO_VAULT, TO_TRADER)
    if p.bankrupt_penalty_to_liquidator:
        pen = nominal
        liq_share = np.where(eq < 0, 1.0, 1.0 - p.penalty_fund_share)
    else:
        pen = np.minimum(nominal, left)
        liq_share = np.full(n.shape, 1.0 - p.penalty_fund_share)
    if engine or path not in BOT_PATHS:
        liq_share = np.zeros(n.shape)
    to_liq = pen * liq_share
    keeper = np.zeros_like(closed)
    if not engine and path == "keeper" and p.keeper_fee > 0:
        keeper = np.minimum(p.keeper_fee, np.maximum(left - pen, 0.0))
    return Plan(
        fraction=frac,
        q=q,
        closed_notional=closed,
        price=price,
        trader_price=trader_price,
        margin_after_loss=left,
        penalty=pen,
        to_liquidator=to_liq,
        to_fund=pen - to_liq,
        keeper_fee=keeper,
        unwind_cost=unwind,
        remainder=remainder,
    )


def partial_fraction(eq, notional, params: ExchangeParams, depth: float):
    """Share to close so the rest is back at initial margin, counting the penalty and the
    slippage of the closed part only; 1 where that cannot work or the slice is too small."""
    p = params
    slip = p.slippage * notional / depth
    frac = risk.partial_close_fraction(
        eq, notional, p.initial_margin, p.penalty_rate + p.half_spread, slip
    )
    return np.where((frac * notional < p.min_partial_notional) | (eq <= 0), 1.0, frac)
