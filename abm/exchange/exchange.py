"""The exchange: one perpetual market against an LP vault, with its fund and treasury.

Agents act only through this class: open and close positions, liquidate, deposit into
and withdraw from the vault; governance changes parameters and injects treasury money.
Every movement of money is a ledger transfer. The mechanisms live in their own modules:
liquidation paths in `liquidation.py`, the choice of deleveraged positions in
`deleveraging.py`, the loss waterfall in `waterfall.py`; this class settles what they
decide and implements the waterfall's `LossBearers` protocol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import deleveraging, funding, liquidation, risk
from .book import PositionBook
from .exact import ExactField, ExactSum, units
from .factor import Loading
from .fund import FundHealth, InsuranceFund
from .funding import Accruals, AdaptiveFunding
from .ledger import Accounts, Ledger
from .mark import MarkPrice
from .market import Market, MarketParams
from .oracle import Oracle, OracleParams
from .params import ExchangeParams
from .vault import LPVault
from .waterfall import DUST, Shortfall, resolve


@dataclass
class Stats:
    """Cumulative counters (and `bad_debt_step`, reset every step).

    Bad debt and the stages that bore it are exact sums (`ExactField`), so the stages add
    up to the bad debt at any scale; `exact` gives the sum behind one of them.
    """

    bad_debt: float = ExactField()
    bad_debt_step: float = ExactField()
    fund_covered: float = ExactField()
    lp_loss: float = ExactField()
    adl_volume: float = 0.0
    adl_excess: float = 0.0
    socialized_loss: float = ExactField()
    unresolved: float = ExactField()
    liquidations: int = 0
    liquidation_volume: float = 0.0
    liquidator_rewards: float = 0.0
    volume: float = 0.0
    fees: float = 0.0
    unpaid_profit: float = 0.0
    halted_steps: int = 0
    treasury_injected: float = 0.0
    adl_covered: float = ExactField()
    backstop_taken: float = 0.0
    socialized_funding: float = ExactField()
    funding_paid_longs: float = 0.0
    funding_paid_shorts: float = 0.0
    pool_net_funding: float = 0.0
    funding_unpaid: float = 0.0
    socialized_funding_paid: float = 0.0

    def exact(self, name: str) -> ExactSum:
        return self.__dict__[name]


STAGE_STATS = {
    "insurance_fund": "fund_covered",
    "lp_vault": "lp_loss",
    "adl": "adl_covered",
    "socialized": "socialized_loss",
    "socialized_funding": "socialized_funding",
    "unresolved": "unresolved",
}
"""Which cumulative counter each waterfall stage adds to."""


@dataclass(frozen=True)
class LiquidationQueue:
    """Positions below maintenance that bots may take, most rewarding first."""

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
        ledger: Ledger | None = None,
        name: str = "",
        fund: InsuranceFund | None = None,
        treasury_id: int | None = None,
        loading: Loading | None = None,
    ) -> None:
        """Without `ledger` the exchange is a venue of its own. With it, it is one named
        market of a venue (markets.py): its accounts are named ``name/...``, and it may
        draw on the venue's `fund` and pay fees to its treasury."""
        self.params = params or ExchangeParams()
        self.name = name
        prefix = f"{name}/" if name else ""
        self.ledger = ledger or Ledger()
        self.fund = fund or InsuranceFund(self.ledger, name=prefix + InsuranceFund.ACCOUNT)
        self.vault = LPVault(self.ledger, prefix + LPVault.ACCOUNT)
        if treasury_id is None:
            treasury_id = self.ledger.open(self.TREASURY)
        self.treasury_id = treasury_id
        self.book = PositionBook(self.ledger, capacity, prefix)
        rng = rng or np.random.default_rng()
        self.market = Market(market or MarketParams(), rng, loading)
        (self.adl_rng,) = rng.spawn(1)
        self.clock = self.market.clock
        self.oracle = Oracle(oracle or OracleParams(), self.market.price, self.clock.step_hours)
        self.stats = Stats()
        self.events: list[dict] = []
        self.step = 0
        self.halted_until = -1
        self.pending: list[Shortfall] = []
        self._liq_flow = 0.0
        self.cross: np.ndarray | None = None
        """Slots whose margin is checked per account across markets (cross.py); this
        market's own liquidations leave them alone."""
        self.accruals = Accruals(capacity)
        self.adaptive = AdaptiveFunding()
        self.funding_rate = 0.0
        """The last funding rate paid, per hour (positive: longs pay)."""
        self._premium = [0.0, 0]
        p = self.params
        self._mark = None
        if p.mark_price != "oracle":
            window = self.clock.steps(p.mark_basis_hours)
            self._mark = MarkPrice(p.mark_price, window, self.oracle.price)
        self._bar: list[float] = []
        self.at_close = True
        if fund_seed:
            self.fund.seed(fund_seed)
        if treasury_seed:
            self.ledger.deposit(self.treasury_id, treasury_seed, source="treasury_seed")

    # -- prices -------------------------------------------------------------------------
    @property
    def mark(self) -> float:
        """What margin, uPnL and execution are measured against (`mark_price`)."""
        return self.oracle.price if self._mark is None else self._mark.price

    @property
    def index(self) -> float:
        """The oracle price: what funding is measured against."""
        return self.oracle.price

    def book_price(self) -> float:
        """The pool's mid price: the reference price slipped by the traders' net size."""
        long_base, short_base = self.book.base_open_interest()
        skew = funding.pool_skew(
            long_base, short_base, self.price, self.depth, self.params.slippage
        )
        return self.price * (1.0 + skew)

    @property
    def price(self) -> float:
        """The reference (true market) price."""
        return self.market.price

    @property
    def depth(self) -> float:
        """The vault balance that execution prices slip against (at least 1)."""
        return max(self.ledger.get(self.vault.id), 1.0)

    # -- the step -----------------------------------------------------------------------
    def begin_step(self) -> None:
        """Move the market, then walk the mark to the bar's first price.

        A replayed bar with an open, a high or a low starts at the first of them
        (`Market.path`); the model then calls `advance_bar` until `at_close`, so that
        margin checks see the bar's adverse extreme. Other bars start at their close.
        """
        self.step += 1
        self.stats.bad_debt_step = 0.0
        self.market.step()
        self._bar = list(self.market.path)
        self.at_close = False
        self.advance_bar()
        if self.halted:
            self.stats.halted_steps += 1

    def advance_bar(self) -> None:
        """Move the mark to the bar's next intrabar price, or to its close after the last.

        At an intrabar price the mark keeps its premium over the index. At the close the
        oracle and the mark update, borrow fees and funding accrue, and every position
        settles when the settlement interval has come.
        """
        if self._bar:
            premium = self.mark / self.index
            self.oracle.update(self.step, self._bar.pop(0))
            if self._mark is not None:
                self._mark.price = self.index * premium
            return
        self.at_close = True
        self.oracle.update(self.step, self.market.price)
        if self._mark is not None:
            self._mark.update(self.index, self.book_price(), self.price)
        p = self.params
        if p.borrow_rate and self.book.capacity:
            self.accruals.add_borrow(self.clock.amount(p.borrow_rate) * self.mark)
        if p.funding_rule != "none":
            self._accrue_funding()
        if self.step % self.clock.steps(p.settle_hours) == 0:
            self.settle_all()

    def _accrue_funding(self) -> None:
        """Sample the premium; at the rule's interval, add the rate to the indexes.

        Where traders trade against the pool, longs and shorts pay the same rate on their
        own size and the pool takes the net; on GMX v2 the larger side pays the smaller.
        """
        p, book = self.params, self.book
        long_base, short_base = book.base_open_interest()
        index = self.index
        rule = p.funding_rule
        if rule == "gmx_v2":
            rate = self.adaptive.update(
                long_base * index, short_base * index, self.clock.step_hours
            )
            self.funding_rate = rate
            owed = abs(rate) * self.clock.step_hours * index
            if rate > 0 and short_base > 0:
                self.accruals.add_funding(owed, owed * long_base / short_base)
            elif rate < 0 and long_base > 0:
                self.accruals.add_funding(-owed * short_base / long_base, -owed)
            return
        reach = p.half_spread + p.slippage * funding.IMPACT_MARGIN / p.initial_margin / self.depth
        self._premium[0] += funding.premium(rule, self.book_price() / index, reach)
        self._premium[1] += 1
        interval = funding.INTERVAL_HOURS[rule]
        if self.step % self.clock.steps(interval) != 0:
            return
        premium = self._premium[0] / self._premium[1]
        self._premium = [0.0, 0]
        rate = funding.interval_rate(rule, premium, p.initial_margin, p.maintenance_margin)
        self.funding_rate = rate / max(interval, self.clock.step_hours)
        self.accruals.add_funding(rate * index, rate * index)

    def settle(self, slots: np.ndarray) -> None:
        """Settle what `slots` owe on the indexes into the ledger: a position is touched."""
        acc = self.accruals
        if not acc.dirty or slots.size == 0:
            return
        book = self.book
        size = book.size[slots]
        owed = acc.owed(size, slots)
        ids = book.margin_ids[slots]
        self._pay_accrued(ids, ids, size, *owed)
        acc.mark_settled(slots, size)

    def settle_all(self) -> None:
        """Every position settles what it owes, and the indexes start again from zero.

        Flat slots owe zero, so one pass over the contiguous margin block is cheaper than
        selecting the open slots first.
        """
        acc = self.accruals
        if not acc.dirty:
            return
        book = self.book
        self._pay_accrued(book.margin_ids, book.margin_block, book.size, *acc.owed(book.size))
        acc.rebase()

    def _pay_accrued(self, ids, fee_ids, size, owed_funding, owed_borrow, owed_loss) -> None:
        """Funding and socialised loss owed go to the pool, funding due comes from it
        (pro rata when it is short), then the borrow fee is split like any fee; each
        at most what the margin holds."""
        acc, ledger, st, vault = self.accruals, self.ledger, self.stats, self.vault.id
        if owed_funding is not None or owed_loss is not None:
            zero = np.zeros_like(size)
            owed_funding = zero if owed_funding is None else owed_funding
            owed_loss = zero if owed_loss is None else owed_loss
            pays = np.maximum(owed_funding, 0.0)
            owe = pays + owed_loss
            if owe.any():
                take = np.minimum(owe, ledger.balances_of(ids))
                got = ledger.collect(ids, vault, take)
                paid = np.minimum(pays, take)
                long = size > 0
                st.funding_paid_longs += float(paid[long].sum())
                st.funding_paid_shorts += float(paid[~long].sum())
                st.pool_net_funding += float(paid.sum())
                st.funding_unpaid += float((owe - take).sum())
                st.socialized_funding_paid += got - float(paid.sum())
            due = np.maximum(-owed_funding, 0.0)
            if due.any():
                k = np.flatnonzero(due)
                wanted = due[k]
                ratio = min(1.0, ledger.get(vault) / float(wanted.sum()))
                got = ledger.distribute(vault, ids[k], wanted * ratio)
                long = size[k] > 0
                st.funding_paid_longs -= float(got[long].sum())
                st.funding_paid_shorts -= float(got[~long].sum())
                st.pool_net_funding -= float(got.sum())
        if acc.borrow != 0.0:
            np.minimum(owed_borrow, ledger.balances_of(fee_ids), out=owed_borrow)
            if owed_borrow.any():
                self._split_fees(fee_ids, owed_borrow, "borrow_fee")

    def margins(self) -> np.ndarray:
        """Every slot's margin less what it owes on the indexes: what margin checks read."""
        book = self.book
        if not self.accruals.dirty:
            return book.margin
        return book.margin - self.accruals.pending(book.size)

    def accrued(self) -> float:
        """What positions owe on the indexes and have not settled (negative: are owed)."""
        if not self.accruals.dirty:
            return 0.0
        return float(self.accruals.pending(self.book.size).sum())

    def _below_maintenance(self) -> np.ndarray:
        """Isolated positions below maintenance (cross accounts are checked in cross.py)."""
        book = self.book
        slots = np.flatnonzero(
            risk.liquidatable(self.margins(), book.size, book.entry, self.mark, self.params)
        )
        return slots if self.cross is None else slots[~self.cross[slots]]

    def finish_liquidations(self) -> None:
        """Resolve this step's losses, run a PnL-to-pool ADL where configured, and let
        liquidation flow move the price."""
        while self.pending:
            self._resolve(self.pending.pop(0))
        self._pnl_to_pool_adl()
        self.market.push(self._liq_flow)
        self._liq_flow = 0.0

    def _resolve(self, sf: Shortfall) -> None:
        """Run one loss down the waterfall and add its stages' shares to the counters.

        Counted exactly: what the shares miss of the counted amount by float rounding goes
        to the stage that took the rest (or to `unresolved`), so the stages add up to the
        bad debt exactly. Unpaid profit from a hole already outstanding is not new debt.
        """
        st = self.stats
        counted = units(sf.amount)
        if sf.kind == "unpaid_profit":
            counted -= min(counted, st.exact("unresolved").units)
        residual = resolve(self, sf, self.params.waterfall)
        left = sf.absorbed.get("unresolved", 0.0)
        shares = {k: units(v) for k, v in sf.absorbed.items() if k != "unresolved"}
        rest = counted - sum(shares.values())
        if left or sf.kind == "unpaid_profit" or not shares:
            shares["unresolved"] = rest
        else:
            shares[next(reversed(shares))] += rest
        for stage, amount in shares.items():
            st.exact(STAGE_STATS[stage]).add_units(amount)
        st.exact("bad_debt").add_units(counted)
        st.exact("bad_debt_step").add_units(counted)
        self.record(
            "bad_debt",
            slot=sf.slot,
            amount=sf.amount,
            size=sf.size,
            cause=sf.kind,
            **{f"by_{k}": v for k, v in sf.absorbed.items() if k != "unresolved"},
            unresolved=left,
        )
        if residual > DUST:
            self.halt(residual)

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
        when the whole position after it would exceed the maximum leverage of its
        bracket (`risk.max_leverage_for` of its notional, as on Binance), against a
        position on the other side, without the collateral in the wallet, or when it
        does not fit under the open-interest cap (orders are taken in turn; a refused one
        leaves its room to the next). Every order in a batch sees the same vault depth.
        """
        slots = _distinct(slots, "open_many")
        self.settle(slots)
        book = self.book
        size = book.size[slots]
        wallet = self.ledger.balances_of(book.wallet_ids[slots])
        notional = collateral * leverage
        held = risk.notional(size, self.mark)
        equity = risk.equity(book.margin[slots], size, book.entry[slots], self.mark)
        with np.errstate(divide="ignore", invalid="ignore"):
            whole = (held + notional) / (equity + collateral)
        ok = (
            (np.abs(sides) == 1)
            & (collateral > 0)
            & (collateral <= wallet)
            & (leverage > 0)
            & (whole > 0)
            & (whole <= risk.max_leverage_for(held + notional, self.params) * (1 + 1e-12))
            & ((size == 0) | (np.sign(size) == sides))
        )
        if self.halted:
            ok[:] = False
        ok[ok] = self._within_oi_cap(notional[ok])
        if not ok.any():
            return ok
        s, side, c, notional = slots[ok], sides[ok], collateral[ok], notional[ok]
        price = self._exec_prices(side, notional)
        margin_ids = book.margin_ids[s]
        self.ledger.move(book.wallet_ids[s], margin_ids, c)
        self._split_fees(margin_ids, self.params.taker_fee * notional, "trading_fee")
        book.add_many(s, side * notional / price, price)
        if self.accruals.dirty:
            self.accruals.mark_settled(s, book.size[s])
        self.stats.volume += float(notional.sum())
        return ok

    def _within_oi_cap(self, notional: np.ndarray) -> np.ndarray:
        """Orders that fit, in turn, under open interest ≤ `max_oi_to_vault` × vault.

        As GMX reserves pool liquidity for open interest: a pool cannot back positions far
        larger than itself. An order that does not fit is refused and takes no room.
        """
        p = self.params
        room = min(p.max_oi_to_vault * self.ledger.get(self.vault.id), p.max_open_interest)
        room -= self.open_interest()
        fits = np.cumsum(notional) <= room
        if fits.all() or notional.size == 0:
            return fits
        first = int(np.argmin(fits))
        room -= float(notional[:first].sum())
        for i in range(first, notional.size):
            fits[i] = notional[i] <= room
            if fits[i]:
                room -= float(notional[i])
        return fits

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
        slots = _distinct(slots, "close_many")
        self.settle(slots)
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
            self._owe(
                int(s[i]),
                int(np.sign(size[i])),
                float(bankrupt_at[i]),
                float(short[i]),
                float(abs(q[i])),
                float(price[i]),
            )
        return ok

    def _exec_prices(self, trade_sides: np.ndarray, notional: np.ndarray) -> np.ndarray:
        return self.mark * (
            1.0 + trade_sides * liquidation.cost_rate(notional, self.params, self.depth)
        )

    def settle_many(
        self,
        slots: np.ndarray,
        q: np.ndarray,
        price: np.ndarray,
        *,
        keep: np.ndarray,
        fee: np.ndarray | None = None,
        penalty: np.ndarray | None = None,
        to_liquidator: np.ndarray | None = None,
        liquidator: int | None = None,
        keeper_fee: np.ndarray | None = None,
        remainder: np.ndarray | None = None,
    ) -> np.ndarray:
        """Close `q` (signed like the positions) at `price`; return what each still owes.

        The vault pays realised profits (what it cannot pay waits for the waterfall).
        Each margin then pays, in order: the realised loss to the vault (what it cannot
        pay is its shortfall), the trading fee, the penalty (the liquidator's part first),
        the keeper fee. With `remainder`, the margin left goes to the fund (1) or the
        vault (2) instead of the trader (0). Finally everything above `keep` goes back to
        the wallet (`keep=inf` leaves the margin with the rest of the position).

        With `bankrupt_penalty_to_liquidator` (Perp v2), the penalty is paid before the
        loss, so it can leave a shortfall.
        """
        book, ledger, vault = self.book, self.ledger, self.vault.id
        m = book.margin_ids[slots]
        realized = q * (price - book.entry[slots])
        book.reduce_many(slots, q)
        self._pay_profits(slots, m, np.maximum(realized, 0.0))
        perp_v2 = self.params.bankrupt_penalty_to_liquidator
        if penalty is not None and perp_v2:
            self._pay_penalty(m, penalty, to_liquidator, liquidator)
        loss = np.maximum(-realized, 0.0)
        paid = np.minimum(loss, ledger.balances_of(m))
        ledger.collect(m, vault, paid)
        if fee is not None:
            self._split_fees(m, np.minimum(fee, ledger.balances_of(m)), "trading_fee")
        if penalty is not None and not perp_v2:
            self._pay_penalty(m, penalty, to_liquidator, liquidator)
        if keeper_fee is not None and liquidator is not None:
            self.stats.liquidator_rewards += ledger.collect(
                m, liquidator, np.minimum(keeper_fee, ledger.balances_of(m))
            )
        if remainder is not None:
            left = ledger.balances_of(m)
            to_fund = np.where(remainder == liquidation.TO_FUND, left, 0.0)
            to_vault = np.where(remainder == liquidation.TO_VAULT, left, 0.0)
            if to_fund.any():
                self.fund.note_inflow("penalty", ledger.collect(m, self.fund.id, to_fund))
            if to_vault.any():
                self.stats.backstop_taken += ledger.collect(m, vault, to_vault)
        ledger.move(m, book.wallet_ids[slots], np.maximum(ledger.balances_of(m) - keep, 0.0))
        return loss - paid

    def _pay_profits(self, slots: np.ndarray, margins: np.ndarray, profit: np.ndarray) -> None:
        """The vault pays winners from its cash; what it lacks goes down the waterfall."""
        owed = float(profit.sum())
        if owed <= 0:
            return
        ratio = min(1.0, self.ledger.get(self.vault.id) / owed)
        paid = self.ledger.distribute(self.vault.id, margins, profit * ratio)
        unpaid = profit - paid
        for i in np.flatnonzero(unpaid > DUST):
            amount = float(unpaid[i])
            self.stats.unpaid_profit += amount
            self.record("vault_short", slot=int(slots[i]), unpaid=amount)
            self.pending.append(Shortfall(int(slots[i]), 0, math.nan, amount, kind="unpaid_profit"))

    def _pay_penalty(self, margins, penalty, to_liquidator, liquidator) -> None:
        ledger = self.ledger
        if liquidator is not None and to_liquidator is not None:
            self.stats.liquidator_rewards += ledger.collect(
                margins, liquidator, np.minimum(to_liquidator, ledger.balances_of(margins))
            )
            penalty = penalty - to_liquidator
        got = ledger.collect(
            margins, self.fund.id, np.minimum(penalty, ledger.balances_of(margins))
        )
        self.fund.note_inflow("penalty", got)

    # -- liquidations -------------------------------------------------------------------
    def _plan(
        self,
        slots: np.ndarray,
        *,
        engine: bool,
        cap=1.0,
        whole: bool = False,
        health: float | None = None,
    ) -> liquidation.Plan:
        book = self.book
        return liquidation.plan(
            self.ledger.balances_of(book.margin_ids[slots]),
            book.size[slots],
            book.entry[slots],
            self.mark,
            self.params,
            self.depth,
            self.clock.step_hours,
            engine=engine,
            cap=cap,
            whole=whole,
            health=health,
        )

    def liquidation_queue(self) -> LiquidationQueue:
        """Positions below maintenance that bots may take, with the bot's reward.

        Empty on paths where the protocol's engine liquidates (see `liquidation.BOT_PATHS`).
        """
        slots = self._below_maintenance()
        if slots.size == 0 or self.params.liquidation_path not in liquidation.BOT_PATHS:
            empty = np.zeros(0)
            return LiquidationQueue(slots[:0], empty, empty, empty)
        self.settle(slots)
        plan = self._plan(slots, engine=False)
        order = np.argsort(-plan.reward, kind="stable")
        return LiquidationQueue(
            slots[order], plan.fraction[order], plan.closed_notional[order], plan.reward[order]
        )

    def is_liquidatable(self, slot: int) -> bool:
        book = self.book
        return bool(
            risk.liquidatable(
                self.margins()[slot], book.size[slot], book.entry[slot], self.mark, self.params
            )
        )

    def liquidate(self, slot: int, liquidator: int | None) -> Liquidation | None:
        """Liquidate one position; see `liquidate_many`."""
        done = self.liquidate_many(np.array([slot]), liquidator)
        return done[0] if done else None

    def engine_liquidate(self) -> list[Liquidation]:
        """The protocol's own engine closes every position still below maintenance.

        On the engine paths it is the only liquidator; on the bot paths it takes what no
        bot took this step when `engine_liquidates` is set, so no penalty setting or gas
        price can leave a position below maintenance unliquidated.
        """
        p = self.params
        if p.liquidation_path in liquidation.BOT_PATHS and not p.engine_liquidates:
            return []
        slots = self._below_maintenance()
        return self.liquidate_many(slots, None) if slots.size else []

    def liquidate_many(
        self,
        slots: np.ndarray,
        liquidator: int | None,
        cap: float | np.ndarray = 1.0,
        *,
        force: bool = False,
        health: float | None = None,
    ) -> list[Liquidation]:
        """Liquidate distinct positions below maintenance under the configured path.

        `liquidator` is a bot's ledger account, or None for the protocol's engine.
        `cap` limits the fraction each closes (a bot's slice). Slots no longer below
        maintenance are skipped; a shortfall waits for the waterfall. With `force`, whole
        positions are closed whatever their own margin (a cross account below its
        maintenance, cross.py), priced by the account's `health` where the path reads it.
        """
        book, p, mark = self.book, self.params, self.mark
        slots = _distinct(np.asarray(slots, dtype=np.int64), "liquidate_many")
        self.settle(slots)
        cap = np.broadcast_to(np.asarray(cap, dtype=np.float64), slots.shape)
        size = book.size[slots]
        margin = self.ledger.balances_of(book.margin_ids[slots])
        entry = book.entry[slots]
        below = (size != 0) if force else risk.liquidatable(margin, size, entry, mark, p)
        if not below.any():
            return []
        slots, size, margin, entry, cap = (a[below] for a in (slots, size, margin, entry, cap))
        plan = self._plan(slots, engine=liquidator is None, cap=cap, whole=force, health=health)
        live = plan.fraction > 0
        if not live.all():
            slots, size, margin, entry = (a[live] for a in (slots, size, margin, entry))
            plan = liquidation.Plan(*(getattr(plan, f)[live] for f in plan.__dataclass_fields__))
        if slots.size == 0:
            return []
        side = np.sign(size)
        bankrupt_at = risk.bankruptcy_price(size, entry, margin)
        position_notional = risk.notional(size, mark)
        partial = plan.fraction < 1.0
        short = self.settle_many(
            slots,
            plan.q,
            plan.trader_price,
            keep=np.where(partial, np.inf, 0.0),
            penalty=plan.penalty,
            to_liquidator=plan.to_liquidator,
            liquidator=liquidator,
            keeper_fee=plan.keeper_fee,
            remainder=plan.remainder,
        )
        if liquidator is not None and plan.unwind_cost.any():
            cost = min(float(plan.unwind_cost.sum()), self.ledger.get(liquidator))
            self.ledger.transfer(liquidator, self.vault.id, cost)
        book.liquidated[slots] += 1
        self.stats.liquidations += int(slots.size)
        self.stats.liquidation_volume += float(plan.closed_notional.sum())
        self._liq_flow -= float((side * plan.closed_notional).sum())
        who = self.ledger.name(liquidator) if liquidator is not None else "engine"
        items = (
            slots,
            plan.closed_notional,
            plan.trader_price,
            plan.penalty,
            plan.to_liquidator,
            plan.to_fund,
            short,
            partial,
        )
        done = [Liquidation(*row) for row in zip(*(a.tolist() for a in items), strict=True)]
        context = zip(
            done,
            side.tolist(),
            bankrupt_at.tolist(),
            entry.tolist(),
            margin.tolist(),
            position_notional.tolist(),
            plan.keeper_fee.tolist(),
            np.abs(plan.q).tolist(),
            strict=True,
        )
        for item, sd, bankrupt_k, entry_k, margin_k, whole_k, keeper_k, qty_k in context:
            self.record(
                "liquidation",
                slot=item.slot,
                side=int(sd),
                notional=item.closed_notional,
                position_notional=whole_k,
                price=item.price,
                mark=mark,
                bankruptcy_price=bankrupt_k,
                entry=entry_k,
                margin=margin_k,
                penalty=item.penalty,
                to_liquidator=item.to_liquidator,
                to_fund=item.to_fund,
                keeper_fee=keeper_k,
                shortfall=item.shortfall,
                partial=item.partial,
                path=p.liquidation_path,
                liquidator=who,
                **({"margin_mode": "cross"} if force else {}),
            )
            if item.shortfall > 0:
                self._owe(item.slot, int(sd), bankrupt_k, item.shortfall, qty_k, item.price)
        return done

    def _owe(
        self,
        slot: int,
        side: int,
        bankruptcy_price: float,
        amount: float,
        size: float,
        fill_price: float,
    ) -> None:
        self.pending.append(Shortfall(slot, side, bankruptcy_price, amount, size, fill_price))

    def halt(self, unresolved: float) -> None:
        """Stop new positions for `halt_hours`: the end of the waterfall."""
        halt = self.clock.steps(self.params.halt_hours, minimum=0)
        self.halted_until = max(self.halted_until, self.step + 1 + halt)
        self.record("halt", unresolved=unresolved, until=self.halted_until)

    # -- the waterfall's stages (the LossBearers protocol) ------------------------------
    def fund_pays(self, sf: Shortfall, amount: float) -> float:
        """The fund pays the vault for a shortfall, or the winner for unpaid profit."""
        p = self.params
        cap = min(p.fund_cover_cap, p.fund_cover_cap_total - self.fund.outflows["bad_debt"])
        dst = self.book.wallet_id(sf.slot) if sf.kind == "unpaid_profit" else self.vault.id
        return self.fund.cover(dst, amount, cap=max(cap, 0.0))

    def vault_room(self) -> float:
        return max(0.0, self.vault_nav() - self.params.vault_floor * self.open_interest())

    def deleverage(self, sf: Shortfall, amount: float) -> float:
        """Opposing positions take over the bankrupt size at the ADL price.

        Each base unit taken over covers the gap between the ADL price and the fill the
        bankrupt position got, so at most `amount / gap` units, never more than the
        bankrupt size. Deleveraged traders pay no penalty or fee.
        """
        p, book = self.params, self.book
        price = sf.bankruptcy_price if p.adl_price == "bankruptcy" else self.mark
        gap = sf.side * (price - sf.fill_price)
        if not gap > 0 or sf.size <= 0:
            return 0.0
        quantity = min(sf.size, amount / gap)
        slots, q = deleveraging.allocate(
            book.size,
            book.entry,
            self.margins(),
            self.mark,
            sf.side,
            quantity,
            price,
            p.adl_ranking,
            self.adl_rng,
        )
        if slots.size == 0:
            return 0.0
        taken = self._deleverage_at(slots, q, price, gap, sf.slot)
        covered = float(taken.sum()) * gap
        given_up = float((taken * np.maximum(-sf.side * (self.mark - price), 0.0)).sum())
        self.stats.adl_excess += max(0.0, given_up - covered)
        return min(covered, amount)

    def _deleverage_at(
        self, slots: np.ndarray, q: np.ndarray, price: float, gap: float, bankrupt_slot: int
    ) -> np.ndarray:
        """Close `q` of `slots` at `price` with no fee or penalty, each keeping the margin of
        its rest; book the ADL and return the sizes taken."""
        book = self.book
        self.settle(slots)
        keep = book.margin[slots] * (1.0 - np.abs(q) / np.abs(book.size[slots]))
        self.settle_many(slots, q, np.full(slots.size, price), keep=keep)
        taken = np.abs(q)
        book.adl_hits[slots] += 1
        self.stats.adl_volume += float(taken.sum()) * price
        for j, size_j in zip(slots.tolist(), taken.tolist(), strict=True):
            self.record(
                "adl",
                slot=j,
                size=size_j,
                price=price,
                covered=size_j * gap,
                bankrupt_slot=bankrupt_slot,
            )
        return taken

    def socialize(self, sf: Shortfall, amount: float) -> float:
        book = self.book
        slots = book.open_slots()
        if slots.size == 0:
            return 0.0
        self.settle(slots)
        weight = np.abs(book.size[slots])
        charge = np.minimum(amount * weight / weight.sum(), book.margin[slots])
        got = self.ledger.collect(book.margin_ids[slots], self.vault.id, charge)
        book.socialized_hits[slots[charge > 0]] += 1
        self.record("socialized", amount=float(got), positions=int(slots.size))
        return got

    def socialize_through_funding(self, sf: Shortfall, amount: float) -> float:
        """Drift: the loss is added to the market's cumulative funding, so every open
        position pays it by size when it next settles (its own index here)."""
        long_base, short_base = self.book.base_open_interest()
        if long_base + short_base <= 0:
            return 0.0
        self.accruals.add_loss(amount / (long_base + short_base))
        self.record("socialized_funding", amount=amount)
        return amount

    def _pnl_to_pool_adl(self) -> None:
        """GMX v2: deleverage the most profitable side's winners at the mark when their
        pending profit exceeds `adl_pnl_to_pool_max` of the pool."""
        p, book = self.params, self.book
        if not math.isfinite(p.adl_pnl_to_pool_max):
            return
        slots, q = deleveraging.pnl_to_pool_cuts(
            book.size,
            book.entry,
            self.mark,
            self.vault.balance,
            p.adl_pnl_to_pool_max,
            p.adl_pnl_to_pool_target,
        )
        if slots.size == 0:
            return
        self._deleverage_at(slots, q, self.mark, 0.0, -1)

    # -- LPs ----------------------------------------------------------------------------
    def open_lp_account(self, name: str, deposit: float) -> int:
        acct = self.ledger.open(name)
        self.ledger.deposit(acct, deposit, source="lp_deposit")
        return acct

    def vault_nav(self) -> float:
        """The vault's cash less what it owes winners plus what it can collect from
        losers (never more than their margin)."""
        book = self.book
        margin = self.margins()
        claims = np.maximum(book.upnl(self.mark), -margin)
        return self.vault.nav(self.vault.balance, float(claims.sum()))

    def lp_deposit(self, account: int, amount: float) -> float:
        """Buy shares at NAV; refused (0) while NAV is not positive."""
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
        if self.name:
            data["market"] = self.name
        self.events.append({"step": self.step, "kind": kind, **data})

    def check(self) -> None:
        """Raise if value was created or lost anywhere in the ledger."""
        self.ledger.check()
        if not math.isfinite(self.mark) or self.mark <= 0:
            raise ValueError(f"mark price is not a positive number: {self.mark}")


def _distinct(slots: np.ndarray, what: str) -> np.ndarray:
    """Batch calls act on distinct slots: a repeated slot would be settled twice."""
    slots = np.asarray(slots, dtype=np.int64)
    if slots.size > 1 and np.unique(slots).size != slots.size:
        raise ValueError(f"{what}: slots must be distinct, got {slots.tolist()!r}")
    return slots
