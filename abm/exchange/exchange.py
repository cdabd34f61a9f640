"""The exchange: one perpetual market against an LP vault, with its fund and treasury.

Agents act only through this class: open and close positions, liquidate, deposit into
and withdraw from the vault; governance changes parameters and injects treasury money.
Every movement of money is a ledger transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import risk
from .book import PositionBook
from .fund import FundHealth, InsuranceFund
from .ledger import Accounts, Ledger
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
    adl_covered: float = 0.0


STAGE_STATS = {
    "insurance_fund": "fund_covered",
    "lp_vault": "lp_loss",
    "adl": "adl_covered",
    "socialized": "socialized_loss",
}
"""Which cumulative counter each waterfall stage adds to."""


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

    # -- the step -----------------------------------------------------------------------
    def begin_step(self) -> None:
        """Move the market and the oracle, then charge borrow fees."""
        self.step += 1
        self.book.resync()
        self.stats.bad_debt_step = 0.0
        self.oracle.update(self.step, self.market.step())
        if self.halted:
            self.stats.halted_steps += 1
        self.charge_borrow_fees()

    def charge_borrow_fees(self) -> float:
        """Charge every position rate × notional, at most its margin, over the whole book.

        Flat slots owe zero, so one pass over the contiguous margin block is cheaper than
        selecting the open slots first.
        """
        book = self.book
        if self.params.borrow_rate == 0 or book.capacity == 0:
            return 0.0
        owed = np.abs(book.size)
        owed *= self.params.borrow_rate
        owed *= self.mark
        np.minimum(owed, book.margin, out=owed)
        return self._split_fees(book.margin_block, owed, "borrow_fee")

    def finish_liquidations(self) -> None:
        """Resolve this step's shortfalls and let liquidation flow move the price."""
        while self.pending:
            sf = resolve(self, self.pending.pop(0))
            for stage, amount in sf.absorbed.items():
                counter = STAGE_STATS[stage]
                setattr(self.stats, counter, getattr(self.stats, counter) + amount)
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
        """Open or add to one position; see `open_many`."""
        return bool(
            self.open_many(
                np.array([slot]), np.array([side]), np.array([collateral]), np.array([leverage])
            )[0]
        )

    def open_many(
        self,
        slots: np.ndarray,
        sides: np.ndarray,
        collateral: np.ndarray,
        leverage: np.ndarray,
    ) -> np.ndarray:
        """Open or add to distinct positions with collateral from their wallets.

        Returns which orders were accepted. An order is refused while trading is halted,
        above maximum leverage, against a position on the other side, or without the
        collateral in the wallet. Every order in a batch sees the same vault depth.
        """
        book = self.book
        size = book.size[slots]
        wallet = self.ledger.balances_of(book.wallet_ids[slots])
        ok = (
            (np.abs(sides) == 1)
            & (collateral > 0)
            & (collateral <= wallet)
            & (leverage > 0)
            & (leverage <= self.params.max_leverage * (1 + 1e-12))
            & ((size == 0) | (np.sign(size) == sides))
        )
        if self.halted:
            ok[:] = False
        ok[ok] = self._within_oi_cap(collateral[ok] * leverage[ok])
        if not ok.any():
            return ok
        s, side, c = slots[ok], sides[ok], collateral[ok]
        notional = c * leverage[ok]
        price = self._exec_prices(side, notional)
        margin_ids = book.margin_ids[s]
        self.ledger.move(book.wallet_ids[s], margin_ids, c)
        self._split_fees(margin_ids, self.params.taker_fee * notional, "trading_fee")
        book.add_many(s, side * notional / price, price)
        self.stats.volume += float(notional.sum())
        return ok

    def _within_oi_cap(self, notional: np.ndarray) -> np.ndarray:
        """Orders that fit, in order, under open interest ≤ `max_oi_to_vault` × vault.

        As GMX reserves pool liquidity for open interest: a pool cannot back positions far
        larger than itself.
        """
        room = self.params.max_oi_to_vault * self.ledger.get(self.vault.id) - self.open_interest()
        return np.cumsum(notional) <= room

    def close(self, slot: int, fraction: float = 1.0) -> bool:
        """Close `fraction` of one position; see `close_many`."""
        return bool(self.close_many(np.array([slot]), fraction)[0])

    def close_many(self, slots: np.ndarray, fraction: float | np.ndarray = 1.0) -> np.ndarray:
        """Close `fraction` (one for all, or one per slot) of distinct positions.

        Positions close at their execution prices. The closed share of margin, with
        realised PnL and less the taker fee, goes back to the wallets. A close beyond the
        bankruptcy price leaves a shortfall for the waterfall. Returns which slots held a
        position.
        """
        fraction = np.asarray(fraction, dtype=np.float64)
        if fraction.size and not (fraction.min() > 0 and fraction.max() <= 1):
            raise ValueError(f"fraction must be in (0, 1], got {fraction.tolist()!r}")
        book = self.book
        size = book.size[slots]
        ok = size != 0
        if not ok.any():
            return ok
        s, size = slots[ok], size[ok]
        if fraction.ndim:
            fraction = fraction[ok]
        q = size * fraction
        notional = np.abs(q) * self.mark
        price = self._exec_prices(-np.sign(size), notional)
        margin = self.ledger.balances_of(book.margin_ids[s])
        bankrupt_at = risk.bankruptcy_price(size, book.entry[s], margin)
        short = self.settle_many(
            s, q, price, fee=self.params.taker_fee * notional, keep=margin * (1.0 - fraction)
        )
        self.stats.volume += float(notional.sum())
        for i in np.flatnonzero(short > 0):
            self._owe(int(s[i]), int(np.sign(size[i])), float(bankrupt_at[i]), float(short[i]))
        return ok

    def _exec_prices(self, trade_sides: np.ndarray, notional: np.ndarray) -> np.ndarray:
        depth = max(self.ledger.get(self.vault.id), 1.0)
        cost = np.minimum(self.params.half_spread + self.params.slippage * notional / depth, 0.5)
        return self.mark * (1.0 + trade_sides * cost)

    def settle_many(
        self,
        slots: np.ndarray,
        q: np.ndarray,
        price: np.ndarray,
        *,
        fee: np.ndarray | None = None,
        to_liquidator: np.ndarray | None = None,
        to_fund: np.ndarray | None = None,
        liquidator: int | None = None,
        keep: np.ndarray,
    ) -> np.ndarray:
        """Close `q` (signed like the positions) at `price`; return what each still owes.

        The vault first pays realised profits. Then each margin pays, in order: the
        liquidator's penalty, the fund's penalty, the trading fee, and the realised loss
        to the vault; what it cannot pay of the loss is its shortfall. Finally everything
        above `keep` goes back to the wallet (`keep=inf` leaves the margin with the rest
        of the position, as a partial liquidation does).
        """
        book, ledger, vault = self.book, self.ledger, self.vault.id
        m = book.margin_ids[slots]
        realized = q * (price - book.entry[slots])
        book.reduce_many(slots, q)
        profit = np.maximum(realized, 0.0)
        owed = float(profit.sum())
        if owed > 0:
            paid = ledger.distribute(vault, m, profit * min(1.0, ledger.get(vault) / owed))
            if paid.sum() < owed * (1 - 1e-12):
                self.stats.unpaid_profit += owed - float(paid.sum())
                self.record("vault_short", unpaid=owed - float(paid.sum()))
        if liquidator is not None and to_liquidator is not None:
            self.stats.liquidator_rewards += ledger.collect(
                m, liquidator, np.minimum(to_liquidator, ledger.balances_of(m))
            )
        if to_fund is not None:
            got = ledger.collect(m, self.fund.id, np.minimum(to_fund, ledger.balances_of(m)))
            self.fund.note_inflow("penalty", got)
        if fee is not None:
            self._split_fees(m, np.minimum(fee, ledger.balances_of(m)), "trading_fee")
        loss = np.maximum(-realized, 0.0)
        paid = np.minimum(loss, ledger.balances_of(m))
        ledger.collect(m, vault, paid)
        ledger.move(m, book.wallet_ids[slots], np.maximum(ledger.balances_of(m) - keep, 0.0))
        return loss - paid

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
        return bool(
            risk.liquidatable(
                book.margin[slot], book.size[slot], book.entry[slot], self.mark, self.params
            )
        )

    def liquidate(self, slot: int, liquidator: int) -> Liquidation | None:
        """Liquidate one position; see `liquidate_many`."""
        done = self.liquidate_many(np.array([slot]), liquidator)
        return done[0] if done else None

    def liquidate_many(self, slots: np.ndarray, liquidator: int) -> list[Liquidation]:
        """Close distinct positions below maintenance, paying penalties to `liquidator`.

        Slots no longer below maintenance are skipped. Each closes partially where that
        brings the rest back to initial margin, else fully; the penalty goes to the
        liquidator and the fund; a shortfall waits for the waterfall.
        """
        book, p, mark = self.book, self.params, self.mark
        slots = np.asarray(slots, dtype=np.int64)
        size = book.size[slots]
        margin = self.ledger.balances_of(book.margin_ids[slots])
        entry = book.entry[slots]
        eq = risk.equity(margin, size, entry, mark)
        notional = risk.notional(size, mark)
        below = risk.liquidatable(margin, size, entry, mark, p)
        if not below.any():
            return []
        slots, size, margin, entry, eq = (a[below] for a in (slots, size, margin, entry, eq))
        frac = self._close_fraction(eq, notional[below])
        q = size * frac
        closed = np.abs(q) * mark
        pen, to_liq, to_fund = risk.penalty(
            closed, eq, p.penalty_rate, p.penalty_fund_share, p.bankrupt_penalty_to_liquidator
        )
        side = np.sign(size)
        price = self._exec_prices(-side, closed)
        bankrupt_at = risk.bankruptcy_price(size, entry, margin)
        partial = frac < 1.0
        short = self.settle_many(
            slots,
            q,
            price,
            to_liquidator=to_liq,
            to_fund=to_fund,
            liquidator=liquidator,
            keep=np.where(partial, np.inf, 0.0),
        )
        book.liquidated[slots] += 1
        self.stats.liquidations += int(slots.size)
        self.stats.liquidation_volume += float(closed.sum())
        self._liq_flow -= float((side * closed).sum())
        who = self.ledger.name(liquidator)
        items = (slots, closed, price, pen, to_liq, to_fund, short, partial)
        done = [Liquidation(*row) for row in zip(*(a.tolist() for a in items), strict=True)]
        context = zip(
            done, side.tolist(), bankrupt_at.tolist(), entry.tolist(), margin.tolist(), strict=True
        )
        for item, sd, bankrupt_k, entry_k, margin_k in context:
            self.record(
                "liquidation",
                slot=item.slot,
                side=int(sd),
                notional=item.closed_notional,
                price=item.price,
                mark=mark,
                bankruptcy_price=bankrupt_k,
                entry=entry_k,
                margin=margin_k,
                penalty=item.penalty,
                to_liquidator=item.to_liquidator,
                to_fund=item.to_fund,
                shortfall=item.shortfall,
                partial=item.partial,
                liquidator=who,
            )
            if item.shortfall > 0:
                self._owe(item.slot, int(sd), bankrupt_k, item.shortfall)
        return done

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
        """Redeem shares at NAV; blocked while halted.

        The vault keeps what winners are owed plus the reserve that backs open interest
        (open interest / `max_oi_to_vault`), as GMX blocks withdrawals at its caps.
        """
        if self.halted:
            return 0.0
        owed = float(np.maximum(self.book.upnl(self.mark), 0.0).sum())
        reserve = owed + self.open_interest() / self.params.max_oi_to_vault
        return self.vault.withdraw(account, shares, self.vault_nav(), reserve)

    # -- fees ---------------------------------------------------------------------------
    def _split_fees(self, srcs: Accounts, amounts: np.ndarray, kind: str) -> float:
        """Charge fees to many margins and split them between fund, treasury and vault."""
        p = self.params
        debited, (to_fund, _, _) = self.ledger.collect_split(
            srcs,
            amounts,
            (self.fund.id, self.treasury_id, self.vault.id),
            (p.fund_fee_share, p.treasury_fee_share, p.lp_fee_share),
        )
        self.fund.note_inflow(kind, to_fund)
        total = float(debited.sum())
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
