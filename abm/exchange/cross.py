"""Cross margin: the positions of one account in several markets share its collateral.

Account `k` is slot `k` of every market of a venue (markets.py). As on Hyperliquid's
cross margin (docs, Trading > Margining and Liquidations), the account's value is its
collateral plus the unrealised PnL of all its positions, and it is liquidatable when that
value is below the sum of its positions' maintenance margins. It is then liquidated
position by position, the largest maintenance requirement (the largest risk) first, until
the account is back above the maintenance of what remains, as Deribit's cross margin
closes "until equity is higher than maintenance margin" (docs, Cross Margin). Each
market closes what it will of the account once per pass, as dYdX v4's engine takes a
subaccount's position once per block: on the book path the fill is bounded by the
account's health, and what is left waits for the next step.

A position being closed is backed by the account's whole collateral (its other margins
move to it first), so a winner's margin pays a loser's loss before the fund does; what
the close leaves returns to the remaining positions' margins in proportion to their
maintenance. Both effects of cross margin follow: a winner offsets a loser (the account
is liquidated later than the same positions isolated), and a loss in one market can
close positions in markets that did not move. Each market's own engine and bots leave
cross accounts alone; the account check is one vectorised pass per market.
"""

from __future__ import annotations

import numpy as np

from . import risk
from .exchange import Liquidation
from .markets import Markets


class CrossMargin:
    """The cross-margin accounts of a venue and their liquidation engine."""

    def __init__(self, venue: Markets, accounts: np.ndarray) -> None:
        self.venue = venue
        capacity = venue[0].book.capacity
        self.mask = np.zeros(capacity, dtype=bool)
        self.mask[np.asarray(accounts, dtype=np.int64)] = True
        for ex in venue:
            ex.cross = self.mask

    def requirements(self) -> np.ndarray:
        """Maintenance margin of every slot in every market (markets × slots)."""
        out = np.empty((len(self.venue), self.mask.size))
        for m, ex in enumerate(self.venue):
            out[m] = risk.maintenance_requirement(risk.notional(ex.book.size, ex.mark), ex.params)
        return out

    def values(self) -> np.ndarray:
        """Account value of every slot: collateral plus unrealised PnL over the markets."""
        total = np.zeros(self.mask.size)
        for ex in self.venue:
            book = ex.book
            total += risk.equity(ex.margins(), book.size, book.entry, ex.mark)
        return total

    def below(self) -> np.ndarray:
        """Cross accounts whose value is below their total maintenance margin."""
        need = self.requirements().sum(axis=0)
        return np.flatnonzero(self.mask & (need > 0) & (self.values() < need))

    def liquidate(self) -> list[tuple[str, Liquidation]]:
        """Liquidate every cross account below maintenance; returns (market, liquidation)
        in the order the positions were closed."""
        done: list[tuple[str, Liquidation]] = []
        for slot in self.below().tolist():
            done += self._liquidate_account(slot)
        return done

    def _liquidate_account(self, slot: int) -> list[tuple[str, Liquidation]]:
        venue, ledger = self.venue, self.venue.ledger
        for ex in venue:
            ex.settle(np.array([slot]))
        margin_ids = np.array([ex.book.margin_id(slot) for ex in venue])
        done = []
        tried = np.zeros(len(venue), dtype=bool)
        while True:
            need = np.array(
                [
                    float(
                        risk.maintenance_requirement(abs(ex.book.size[slot]) * ex.mark, ex.params)
                    )
                    for ex in venue
                ]
            )
            value = float(ledger.balances_of(margin_ids).sum()) + sum(
                float(ex.book.upnl(ex.mark)[slot]) for ex in venue
            )
            if need.sum() <= 0 or value >= need.sum():
                return done
            if (need[~tried] <= 0).all():
                # each market closes what it will once per pass, as dYdX's engine takes a
                # position once per block: a book path fills only within its price bound,
                # and the rest waits for the next step, as an isolated position does
                return done
            m = int(np.argmax(np.where(tried, -np.inf, need)))
            ex = venue[m]
            others = np.delete(margin_ids, m)
            ledger.collect(others, int(margin_ids[m]), ledger.balances_of(others))
            wallet = ex.book.wallet_id(slot)
            before = ledger.balance(wallet)
            health = max(value, 0.0) / need.sum()
            closed = ex.liquidate_many(np.array([slot]), None, force=True, health=health)
            tried[m] = True
            done += [(ex.name, c) for c in closed]
            back = ledger.balance(wallet) - before
            rest = need.copy()
            rest[m] = 0.0
            rest *= np.array([e.book.size[slot] != 0 for e in venue])
            if back > 0 and rest.sum() > 0:
                ledger.distribute(wallet, margin_ids, back * rest / rest.sum())
