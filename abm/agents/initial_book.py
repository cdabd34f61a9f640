"""A book already open at step 0: a crash can be replayed from the minute before it.

Real crashes hit crowded books (10 Oct 2025: record open interest, longs at high
leverage). `InitialBook` says how the market stands when the run starts: total open
interest, the share of it that is long, a log-normal leverage distribution and a spread of
entry prices around the first price. Positions go to the traders in proportion to their
wealth; a trader whose wallet cannot post the margin deposits the difference (a declared
external flow), so the ledger still balances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exchange.ranges import check_fields, ranged


@dataclass
class InitialBook:
    open_interest: float = ranged(0.0, "[0, 1e15]")
    """Notional open at step 0 (quote units); 0 starts with nobody holding a position."""
    long_share: float = ranged(0.5, "[0, 1]")
    leverage_median: float = ranged(5.0, "[1, 1000]")
    leverage_sigma: float = ranged(0.5, "[0, 3]")
    entry_spread: float = ranged(0.0, "[0, 1]")
    """Standard deviation of log(entry / first price)."""

    def __post_init__(self) -> None:
        check_fields(self, "traders.initial_book.")


def seed_book(exchange, book: InitialBook, slots: np.ndarray, rng: np.random.Generator) -> None:
    """Open positions in `slots` so that the book matches `book` at the current mark.

    Each position's leverage at the mark (notional / equity) is its drawn leverage, capped
    at the exchange's maximum; entries are clipped to within half of the margin's width
    of the mark so every margin is positive.
    """
    if book.open_interest <= 0 or slots.size == 0:
        return
    p, mark, books = exchange.params, exchange.mark, exchange.book
    n = slots.size
    wealth = exchange.ledger.balances_of(books.wallet_ids[slots])
    notional = book.open_interest * wealth / wealth.sum()
    longs = rng.random(n) < book.long_share
    side = np.where(longs, 1.0, -1.0)
    if 0 < book.long_share < 1:
        notional = np.where(
            longs,
            notional / notional[longs].sum() * book.long_share * book.open_interest,
            notional / notional[~longs].sum() * (1 - book.long_share) * book.open_interest,
        )
    mmr = p.maintenance_margin
    leverage = np.minimum(
        book.leverage_median * rng.lognormal(0.0, book.leverage_sigma, n),
        0.999 / mmr if mmr > 0 else p.max_leverage,
    )
    leverage = np.minimum(leverage, p.max_leverage)
    width = 0.5 / leverage
    shift = np.clip(rng.normal(0.0, book.entry_spread, n), -width, width)
    entry = mark * np.exp(-side * shift)
    size = side * notional / mark
    equity = notional / leverage
    margin = equity - size * (mark - entry)
    short = np.maximum(margin - wealth, 0.0)
    for slot, amount in zip(slots[short > 0].tolist(), short[short > 0].tolist(), strict=True):
        exchange.fund_wallet(slot, amount)
    exchange.ledger.move(books.wallet_ids[slots], books.margin_ids[slots], margin)
    books.add_many(slots, size, entry)
