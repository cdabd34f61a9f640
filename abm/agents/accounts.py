"""Accounts that trade several markets of a venue, in isolated or cross margin.

Account `k` is slot `k` in every market's book (cross.py's convention). It trades its
home market and `markets_per_account − 1` others, drawn by the markets' weights without
replacement. Its cash lives in one wallet, its home market's: before it opens a position
elsewhere the collateral moves to that market's wallet, and whatever lands there (a
close's proceeds, a liquidation's rest, an unpaid profit the fund pays) moves back the
next time the account acts, every move through the ledger. A cross account's positions
share its margins (cross.py); an isolated account's positions each stand alone.

Only built when `markets_per_account` ≥ 2; one market per account keeps the model's
single-position code path, so those runs stay bit-identical.
"""

from __future__ import annotations

import numpy as np

from ..exchange import liquidation, risk
from ..exchange.cross import CrossMargin

COVER_SLACK = 1e-6
"""Relative extra moved to a closing cross position so float rounding leaves no dust of
shortfall; what is not lost returns to the wallet with the close."""


class Accounts:
    """Which markets each account trades, where its cash lives, and its margin mode."""

    def __init__(self, venue, capacity: int, per_account: int, cross: bool) -> None:
        self.exchanges = exchanges = list(venue)
        self.per_account = per_account
        self.trades = np.zeros((len(exchanges), capacity), dtype=bool)
        """trades[m, k]: account k trades market m."""
        self.home = np.zeros(capacity, dtype=np.int64)
        self.wallet_ids = np.stack([ex.book.wallet_ids for ex in exchanges])
        self._slots = np.arange(capacity)
        self.cross = CrossMargin(venue, np.zeros(0, dtype=np.int64)) if cross else None

    # -- who trades where -----------------------------------------------------------------
    def assign(self, slots: np.ndarray, weights: np.ndarray, rng, cross_share: float) -> None:
        """Draw each new account's markets (its first draw is its home) and margin mode.

        Weighted sampling without replacement by Gumbel keys: the largest of
        log(weight) + Gumbel noise is a draw by weight, the next largest a draw among the
        rest, and so on (Gumbel-top-k).
        """
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
        noise = -np.log(-np.log(rng.random((slots.size, weights.size))))
        keys = log_w[None, :] + noise
        chosen = np.argsort(-keys, axis=1, kind="stable")[:, : self.per_account]
        self.home[slots] = chosen[:, 0]
        self.trades[:, slots] = False
        self.trades[chosen.T, slots[None, :]] = True
        if self.cross is not None:
            self.cross.mask[slots] = rng.random(slots.size) < cross_share

    def index(self, ex) -> int:
        return next(m for m, e in enumerate(self.exchanges) if e is ex)

    def markets_of(self, slots: np.ndarray):
        """Pairs of (market, positions in `slots` of the accounts trading it); an account
        trading several markets appears once per market."""
        for m, ex in enumerate(self.exchanges):
            yield ex, np.flatnonzero(self.trades[m, slots])

    # -- cash -------------------------------------------------------------------------------
    def home_wallets(self, slots: np.ndarray) -> np.ndarray:
        return self.wallet_ids[self.home[slots], slots]

    def sweep(self, m: int, slots: np.ndarray) -> None:
        """Move what sits in market `m`'s wallets of these accounts to their home wallets."""
        away = slots[self.home[slots] != m]
        if away.size:
            ids = self.wallet_ids[m, away]
            ledger = self.exchanges[m].ledger
            ledger.move(ids, self.home_wallets(away), ledger.balances_of(ids))

    def fund(self, m: int, slots: np.ndarray, amounts: np.ndarray) -> None:
        """Move collateral from the home wallets to market `m`'s wallets (distinct slots)."""
        away = self.home[slots] != m
        if away.any():
            s = slots[away]
            ledger = self.exchanges[m].ledger
            ledger.move(self.home_wallets(s), self.wallet_ids[m, s], amounts[away])

    def cover(self, m: int, slots: np.ndarray) -> None:
        """Before cross accounts close positions in market `m`, move to those positions'
        margins what the close would lose beyond them, from the accounts' other margins
        and then their home wallets: in cross margin the account's balance pays a losing
        position's loss before the fund does (Hyperliquid: "All cross positions share
        account equity")."""
        if self.cross is None:
            return
        s = slots[self.cross.mask[slots]]
        ex = self.exchanges[m]
        s = s[ex.book.size[s] != 0]
        if s.size == 0:
            return
        for other in self.exchanges:
            other.settle(s)
        book, ledger = ex.book, ex.ledger
        size = book.size[s]
        notional = risk.notional(size, ex.mark)
        rate = ex.params.taker_fee + liquidation.cost_rate(notional, ex.params, ex.depth)
        equity = risk.equity(ledger.balances_of(book.margin_ids[s]), size, book.entry[s], ex.mark)
        need = np.maximum(notional * rate - equity, 0.0) * (1.0 + COVER_SLACK)
        short = need > 0
        if not short.any():
            return
        s, need = s[short], need[short]
        sources = [e.book.margin_ids[s] for k, e in enumerate(self.exchanges) if k != m]
        sources.append(self.home_wallets(s))
        for ids in sources:
            if not need.any():
                break
            take = np.minimum(ledger.balances_of(ids), need)
            ledger.move(ids, book.margin_ids[s], take)
            need = need - take

    # -- what the account holds -------------------------------------------------------------
    def close_out(self, slot: int) -> None:
        """Close every position of a leaving account, winners first, so that a cross
        account's realised profits stand behind its losers' closes."""
        one = np.array([slot])
        exs = self.exchanges
        equity = [float(ex.book.equity(ex.mark)[slot]) for ex in exs]
        for m in sorted(range(len(exs)), key=lambda k: -equity[k]):
            if exs[m].book.size[slot] != 0:
                self.cover(m, one)
                exs[m].close(slot)
                self.sweep(m, one)

    def open_elsewhere(self, m: int, slots: np.ndarray) -> np.ndarray:
        """Accounts with an open position in a market other than `m`."""
        out = np.zeros(slots.size, dtype=bool)
        for k, ex in enumerate(self.exchanges):
            if k != m:
                out |= ex.book.size[slots] != 0
        return out

    def loss_hits(self, slots: np.ndarray) -> np.ndarray:
        """ADL and socialised-loss hits over every market."""
        books = [ex.book for ex in self.exchanges]
        return sum(book.adl_hits[slots] + book.socialized_hits[slots] for book in books)

    def exit_in(self, slots: np.ndarray, opened: np.ndarray, held: np.ndarray, now: int):
        """Steps until the soonest planned exit of the accounts' open positions (inf if
        none is open)."""
        out = np.full(slots.size, np.inf)
        for m, ex in enumerate(self.exchanges):
            left = opened[m, slots] + held[m, slots] - now
            out = np.where(ex.book.size[slots] != 0, np.minimum(out, left), out)
        return out

    def columns(self, slots: np.ndarray) -> dict[str, np.ndarray]:
        """Equity, leverage, liquidation price and liquidations of each account over all
        its markets (docs/markets.md, "Accounts in the model")."""
        wallets = np.zeros(slots.size)
        pos_equity = np.zeros(slots.size)
        notional = np.zeros(slots.size)
        liquidated = np.zeros(slots.size, dtype=np.int64)
        per = []
        for ex in self.exchanges:
            book = ex.book
            size, margin, entry = book.size[slots], book.margin[slots], book.entry[slots]
            eq = risk.equity(margin, size, entry, ex.mark)
            n = risk.notional(size, ex.mark)
            need = risk.maintenance_requirement(n, ex.params)
            wallets += book.wallet[slots]
            pos_equity += eq
            notional += n
            liquidated += book.liquidated[slots]
            per.append((ex, size, margin, entry, eq, n, need))
        with np.errstate(divide="ignore", invalid="ignore"):
            leverage = np.where(
                notional == 0, 0.0, np.where(pos_equity > 0, notional / pos_equity, np.inf)
            )
        excess = sum(eq - need for _, _, _, _, eq, _, need in per)
        largest = np.argmax(np.stack([n for *_, n, _ in per]), axis=0)
        price = np.full(slots.size, np.nan)
        cross = (
            self.cross.mask[slots] if self.cross is not None else np.zeros(slots.size, dtype=bool)
        )
        for m, (ex, size, margin, entry, eq, _, need) in enumerate(per):
            pick = (largest == m) & (size != 0)
            if not pick.any():
                continue
            # A cross position is liquidated when its margin plus the rest of the
            # account's excess over maintenance is used up: an isolated position with
            # that margin has the same liquidation price.
            backing = np.where(cross, margin + excess - (eq - need), margin)
            at = risk.liquidation_price(size[pick], entry[pick], backing[pick], ex.params)
            price[pick] = at
        return {
            "equity": wallets + pos_equity,
            "leverage": leverage,
            "liquidation_price": price,
            "liquidated": liquidated,
        }
