"""The exchange: one perpetual market against an LP vault, with its fund and treasury.

Agents act only through this class: open and close positions, liquidate, deposit into
and withdraw from the vault; governance changes parameters and injects treasury money.
Every movement of money is a ledger transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import risk
from .book import PositionBook
from .fund import FundHealth, InsuranceFund
from .ledger import Ledger
from .market import Market, MarketParams
from .oracle import Oracle, OracleParams
from .params import ExchangeParams
from .vault import LPVault
from .waterfall import Shortfall, resolve


@dataclass
class Stats:
    """Cumulative counters (and `bad_debt_step`, reset every step)."""

    bad_debt: float = 0.0
    bad_debt_step: float = 0.0
    fund_covered: float = 0.0
    lp_loss: float = 0.0
    adl_volume: float = 0.0
    socialized_loss: float = 0.0
    unresolved: float = 0.0
    liquidations: int = 0
    liquidation_volume: float = 0.0
    liquidator_rewards: float = 0.0
    volume: float = 0.0
    fees: float = 0.0
    unpaid_profit: float = 0.0
    halted_steps: int = 0
    treasury_injected: float = 0.0
    stage_totals: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LiquidationQueue:
    """Liquidatable positions this step, most rewarding for a liquidator first."""

    slots: np.ndarray
    fraction: np.ndarray
    closed_notional: np.ndarray
    reward: np.ndarray

    def __len__(self) -> int:
        return int(self.slots.size)


@dataclass(frozen=True)
class Liquidation:
    slot: int
    closed_notional: float
    price: float
    penalty: float
    to_liquidator: float
    to_fund: float
    shortfall: float
    partial: bool


class Exchange:
    """A perpetual market whose counterparty is an LP vault."""

    TREASURY = "treasury"

    def __init__(
        self,
        params: ExchangeParams | None = None,
        market: MarketParams | None = None,
        oracle: OracleParams | None = None,
        *,
        capacity: int = 1000,
        fund_seed: float = 250_000.0,
        treasury_seed: float = 2_000_000.0,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.params = params or ExchangeParams()
        self.ledger = Ledger()
        self.fund = InsuranceFund(self.ledger)
        self.vault = LPVault(self.ledger)
        self.treasury_id = self.ledger.open(self.TREASURY)
        self.book = PositionBook(self.ledger, capacity)
        self.market = Market(market or MarketParams(), rng or np.random.default_rng())
        self.oracle = Oracle(oracle or OracleParams(), self.market.price)
        self.stats = Stats()
        self.events: list[dict] = []
        self.step = 0
        self.halted_until = -1
        self.pending: list[Shortfall] = []
        self._liq_flow = 0.0
        if fund_seed:
            self.fund.seed(fund_seed)
        if treasury_seed:
            self.ledger.deposit(self.treasury_id, treasury_seed, source="treasury_seed")

    # -- prices -------------------------------------------------------------------------
    @property
    def mark(self) -> float:
        """The oracle price: what margin is measured against."""
        return self.oracle.price

    @property
    def price(self) -> float:
        """The reference (true market) price."""
        return self.market.price

    def exec_price(self, trade_side: int, notional: float) -> float:
        """Oracle ± half-spread ± slippage growing with size relative to vault depth."""
        depth = max(self.ledger.get(self.vault.id), 1.0)
        cost = self.params.half_spread + self.params.slippage * notional / depth
        return self.mark * (1.0 + trade_side * min(cost, 0.5))

    # -- the step -----------------------------------------------------------------------
    def begin_step(self) -> None:
        """Move the market and the oracle, then charge borrow fees."""
        self.step += 1
        self.stats.bad_debt_step = 0.0
        self.oracle.update(self.step, self.market.step())
        if self.halted:
            self.stats.halted_steps += 1
        self.charge_borrow_fees()

    def charge_borrow_fees(self) -> float:
        slots = self.book.open_slots()
        if slots.size == 0 or self.params.borrow_rate == 0:
            return 0.0
        owed = self.params.borrow_rate * np.abs(self.book.size[slots]) * self.mark
        owed = np.minimum(owed, self.book.margin[slots])
        return self._split_fees(self.book.margin_ids[slots], owed, "borrow_fee")

    def finish_liquidations(self) -> None:
        """Resolve this step's shortfalls and let liquidation flow move the price."""
        while self.pending:
            sf = resolve(self, self.pending.pop(0))
            for stage, amount in sf.absorbed.items():
                self.stats.stage_totals[stage] = self.stats.stage_totals.get(stage, 0.0) + amount
            self.stats.fund_covered += sf.absorbed.get("insurance_fund", 0.0)
            self.stats.lp_loss += sf.absorbed.get("lp_vault", 0.0)
            self.stats.socialized_loss += sf.absorbed.get("socialized", 0.0)
            self.record(
                "bad_debt",
                slot=sf.slot,
                amount=sf.amount,
                **{f"by_{k}": v for k, v in sf.absorbed.items()},
                unresolved=max(0.0, sf.remaining),
            )
        self.market.push(self._liq_flow)
        self._liq_flow = 0.0

    # -- traders ------------------------------------------------------------------------
    def fund_wallet(self, slot: int, amount: float) -> None:
        self.ledger.deposit(self.book.wallet_id(slot), amount, source="trader_deposit")

    def empty_wallet(self, slot: int) -> float:
        """A leaving trader takes its wallet out of the system."""
        wid = self.book.wallet_id(slot)
        return self.ledger.withdraw(wid, self.ledger.balance(wid), sink="trader_withdrawal")

    @property
    def halted(self) -> bool:
        return self.step < self.halted_until

    def open(self, slot: int, side: int, collateral: float, leverage: float) -> bool:
        """Open or add to a position with `collateral` from the wallet at `leverage`.

        Rejected (False) while trading is halted, above maximum leverage, against an open
        position on the other side, or without the collateral in the wallet.
        """
        book = self.book
        if self.halted or side not in (1, -1) or collateral <= 0:
            return False
        if leverage <= 0 or leverage > self.params.max_leverage * (1 + 1e-12):
            return False
        if collateral > self.ledger.get(book.wallet_id(slot)):
            return False
        if book.size[slot] != 0 and np.sign(book.size[slot]) != side:
            return False
        notional = collateral * leverage
        price = self.exec_price(side, notional)
        self.ledger.transfer(book.wallet_id(slot), book.margin_id(slot), collateral)
        self._split_fee(book.margin_id(slot), self.params.taker_fee * notional, "trading_fee")
        book.add(slot, side * notional / price, price)
        self.stats.volume += notional
        return True

    def close(self, slot: int, fraction: float = 1.0) -> bool:
        """Close `fraction` of a position at the execution price; margin goes to the wallet."""
        book = self.book
        size = book.size[slot]
        if size == 0 or not 0 < fraction <= 1:
            return False
        q = size * fraction
        notional = abs(q) * self.mark
        price = self.exec_price(-int(np.sign(size)), notional)
        margin = self.ledger.get(book.margin_id(slot))
        keep = margin * (1.0 - fraction)
        bk = float(book.entry[slot] - margin / size)
        shortfall = self.settle(slot, q, price, fee=self.params.taker_fee * notional, keep=keep)
        self.stats.volume += notional
        if shortfall > 0:
            self._owe(slot, int(np.sign(size)), bk, shortfall)
        return True

    def settle(
        self,
        slot: int,
        q: float,
        price: float,
        *,
        fee: float = 0.0,
        to_liquidator: float = 0.0,
        to_fund: float = 0.0,
        liquidator: int | None = None,
        keep: float | None = 0.0,
    ) -> float:
        """Close `q` (signed like the position) at `price`; return what is still owed.

        The margin pays, in order: the liquidator's penalty, the fund's penalty, the
        trading fee, then the realised loss to the vault. What it cannot pay of the loss is
        the shortfall. Afterwards everything above `keep` goes back to the wallet
        (`keep=None` leaves the margin with the rest of the position).
        """
        book, ledger = self.book, self.ledger
        m = book.margin_id(slot)
        realized = q * (price - book.entry[slot])
        book.reduce(slot, q)
        if realized > 0:
            paid = ledger.transfer(self.vault.id, m, min(realized, ledger.get(self.vault.id)))
            if paid < realized:
                self.stats.unpaid_profit += realized - paid
                self.record("vault_short", slot=slot, unpaid=realized - paid)
        if to_liquidator > 0 and liquidator is not None:
            self.stats.liquidator_rewards += ledger.transfer(
                m, liquidator, min(to_liquidator, ledger.get(m))
            )
        if to_fund > 0:
            self.fund.note_inflow(
                "penalty", ledger.transfer(m, self.fund.id, min(to_fund, ledger.get(m)))
            )
        if fee > 0:
            self._split_fee(m, min(fee, ledger.get(m)), "trading_fee")
        loss = max(-realized, 0.0)
        paid = ledger.transfer(m, self.vault.id, min(loss, ledger.get(m)))
        if keep is not None:
            ledger.transfer(m, book.wallet_id(slot), max(0.0, ledger.get(m) - keep))
        return float(loss - paid)

    # -- liquidations -------------------------------------------------------------------
    def liquidation_queue(self) -> LiquidationQueue:
        """Every position below maintenance, with the liquidator's expected reward."""
        book, p, mark = self.book, self.params, self.mark
        slots = book.liquidatable(mark, p)
        if slots.size == 0:
            empty = np.zeros(0)
            return LiquidationQueue(slots, empty, empty, empty)
        size = book.size[slots]
        eq = risk.equity(book.margin[slots], size, book.entry[slots], mark)
        notional = np.abs(size) * mark
        frac = self._close_fraction(eq, notional)
        closed = frac * notional
        _, reward, _ = risk.penalty(
            closed, eq, p.penalty_rate, p.penalty_fund_share, p.bankrupt_penalty_to_liquidator
        )
        order = np.argsort(-reward, kind="stable")
        return LiquidationQueue(slots[order], frac[order], closed[order], reward[order])

    def _close_fraction(self, eq: np.ndarray, notional: np.ndarray) -> np.ndarray:
        p = self.params
        if not p.partial_liquidation:
            return np.ones_like(eq)
        depth = max(self.vault.balance, 1.0)
        cost = p.penalty_rate + p.half_spread + p.slippage * notional / depth
        frac = risk.partial_close_fraction(eq, notional, p.initial_margin, cost)
        return np.where((frac * notional < p.min_partial_notional) | (eq <= 0), 1.0, frac)

    def is_liquidatable(self, slot: int) -> bool:
        book = self.book
        if book.size[slot] == 0:
            return False
        n = abs(book.size[slot]) * self.mark
        eq = book.margin[slot] + book.size[slot] * (self.mark - book.entry[slot])
        return bool(eq < risk.maintenance_requirement(n, self.params))

    def liquidate(self, slot: int, liquidator: int) -> Liquidation | None:
        """Close a position below maintenance; the penalty goes to `liquidator` and the fund."""
        if not self.is_liquidatable(slot):
            return None
        book, p, mark = self.book, self.params, self.mark
        size, entry, margin = book.size[slot], book.entry[slot], book.margin[slot]
        eq = margin + size * (mark - entry)
        frac = float(self._close_fraction(np.array([eq]), np.array([abs(size) * mark]))[0])
        q = size * frac
        closed = abs(q) * mark
        pen, to_liq, to_fund = (
            float(x)
            for x in risk.penalty(
                closed, eq, p.penalty_rate, p.penalty_fund_share, p.bankrupt_penalty_to_liquidator
            )
        )
        side = int(np.sign(size))
        price = self.exec_price(-side, closed)
        bk = float(risk.bankruptcy_price(size, entry, margin))
        partial = frac < 1.0
        shortfall = self.settle(
            slot,
            q,
            price,
            to_liquidator=to_liq,
            to_fund=to_fund,
            liquidator=liquidator,
            keep=None if partial else 0.0,
        )
        book.liquidated[slot] += 1
        self.stats.liquidations += 1
        self.stats.liquidation_volume += closed
        self._liq_flow -= side * closed
        self.record(
            "liquidation",
            slot=slot,
            side=side,
            notional=closed,
            price=price,
            mark=mark,
            bankruptcy_price=bk,
            penalty=pen,
            to_liquidator=to_liq,
            to_fund=to_fund,
            shortfall=shortfall,
            partial=partial,
            liquidator=self.ledger.name(liquidator),
        )
        if shortfall > 0:
            self._owe(slot, side, bk, shortfall)
        return Liquidation(slot, closed, price, pen, to_liq, to_fund, shortfall, partial)

    def _owe(self, slot: int, side: int, bankruptcy_price: float, amount: float) -> None:
        self.stats.bad_debt += amount
        self.stats.bad_debt_step += amount
        self.pending.append(Shortfall(slot, side, bankruptcy_price, amount))

    def halt(self, unresolved: float) -> None:
        """Stop new positions for `halt_steps`: the end of the waterfall."""
        self.stats.unresolved += unresolved
        self.halted_until = max(self.halted_until, self.step + 1 + self.params.halt_steps)
        self.record("halt", unresolved=unresolved, until=self.halted_until)

    # -- LPs ----------------------------------------------------------------------------
    def open_lp_account(self, name: str, deposit: float) -> int:
        acct = self.ledger.open(name)
        self.ledger.deposit(acct, deposit, source="lp_deposit")
        return acct

    def vault_nav(self) -> float:
        return self.vault.nav(self.vault.balance, float(self.book.upnl(self.mark).sum()))

    def lp_deposit(self, account: int, amount: float) -> float:
        amount = min(amount, self.ledger.balance(account))
        if amount <= 0:
            return 0.0
        return self.vault.deposit(account, amount, self.vault_nav())

    def lp_withdraw(self, account: int, shares: float) -> float:
        """Redeem shares at NAV; blocked while halted, and never below what winners are owed."""
        if self.halted:
            return 0.0
        owed = float(np.maximum(self.book.upnl(self.mark), 0.0).sum())
        reserve = owed + self.params.vault_floor * self.open_interest()
        return self.vault.withdraw(account, shares, self.vault_nav(), reserve)

    # -- fees ---------------------------------------------------------------------------
    def _fee_parts(self, amount):
        p = self.params
        return amount * p.fund_fee_share, amount * p.treasury_fee_share

    def _split_fee(self, src: int, amount: float, kind: str) -> None:
        if amount <= 0:
            return
        to_fund, to_treasury = self._fee_parts(amount)
        to_vault = amount - to_fund - to_treasury
        moved = self.ledger.split(
            src, (self.fund.id, self.treasury_id, self.vault.id), (to_fund, to_treasury, to_vault)
        )
        self.fund.note_inflow(kind, to_fund * moved / amount)
        self.stats.fees += moved

    def _split_fees(self, srcs: np.ndarray, amounts: np.ndarray, kind: str) -> float:
        to_fund, to_treasury = self._fee_parts(amounts)
        self.fund.note_inflow(kind, self.ledger.collect(srcs, self.fund.id, to_fund))
        self.ledger.collect(srcs, self.treasury_id, to_treasury)
        self.ledger.collect(srcs, self.vault.id, amounts - to_fund - to_treasury)
        total = float(amounts.sum())
        self.stats.fees += total
        return total

    # -- governance hooks ---------------------------------------------------------------
    def set_param(self, name: str, value) -> None:
        """Change one governable parameter after validating the whole parameter set."""
        if name not in ExchangeParams.GOVERNABLE:
            raise ValueError(
                f"{name!r} is not governable; governable: {list(ExchangeParams.GOVERNABLE)}"
            )
        old = getattr(self.params, name)
        self.params = self.params.updated(**{name: value})
        self.record("param_change", name=name, old=old, new=getattr(self.params, name))

    def inject_from_treasury(self, amount: float) -> float:
        amount = min(max(amount, 0.0), self.ledger.balance(self.treasury_id))
        if amount <= 0:
            return 0.0
        moved = self.ledger.transfer(self.treasury_id, self.fund.id, amount)
        self.fund.note_inflow("injection", moved)
        self.stats.treasury_injected += moved
        self.record("injection", amount=moved)
        return moved

    # -- metrics ------------------------------------------------------------------------
    def open_interest(self) -> float:
        long_oi, short_oi = self.book.open_interest(self.mark)
        return long_oi + short_oi

    def tvl(self) -> float:
        """Money locked in the protocol: vault, fund and traders' margins."""
        return self.vault.balance + self.fund.balance + float(self.book.margin.sum())

    def fund_health(self) -> FundHealth:
        return self.fund.health(self.open_interest(), self.tvl())

    @property
    def treasury(self) -> float:
        return self.ledger.balance(self.treasury_id)

    def record(self, kind: str, **data) -> None:
        self.events.append({"step": self.step, "kind": kind, **data})

    def check(self) -> None:
        """Raise if value was created or lost anywhere in the ledger."""
        self.ledger.check()
        if not math.isfinite(self.mark) or self.mark <= 0:
            raise ValueError(f"mark price is not a positive number: {self.mark}")
