"""Auto-deleveraging: which opposing positions take over a bankrupt position, and how much.

On BitMEX, Binance and dYdX v4 the bankrupt position's remaining size is matched against
ranked opposing positions at the bankruptcy price (protocols.md §2, §3): never more than
that size, and exactly that size when the opposing side holds enough. Hyperliquid closes
at the previous mark instead. The allocation here is pure numpy; the exchange settles it.

Rankings (higher goes first; see `risk.adl_score`): BitMEX, Binance, Hyperliquid, plain
PnL; `dydx` walks the opposing positions from a pseudo-random start as dYdX v4's
`deleveraging.go` does; `pro_rata` closes the same fraction of every eligible position, a
risk-aware pro-rata haircut on positive PnL in the sense of Chitra (2025, §7).
"""

from __future__ import annotations

import numpy as np

from . import risk


def eligible(size: np.ndarray, entry: np.ndarray, bankrupt_side: int, price: float) -> np.ndarray:
    """Slots on the opposing side that are in profit when closed at `price`."""
    opp = np.flatnonzero(np.sign(size) == -bankrupt_side)
    gain = (price - entry[opp]) * size[opp]
    return opp[gain > 0]


def allocate(
    size: np.ndarray,
    entry: np.ndarray,
    margin: np.ndarray,
    mark: float,
    bankrupt_side: int,
    quantity: float,
    price: float,
    ranking: str,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Opposing slots and signed sizes to close so that `quantity` base units are taken over.

    The sizes add up to min(quantity, what the eligible positions hold), each no larger
    than its position. Sizes carry the sign of their positions.
    """
    slots = eligible(size, entry, bankrupt_side, price)
    if slots.size == 0 or not quantity > 0:
        return slots[:0], np.zeros(0)
    held = np.abs(size[slots])
    if ranking == "pro_rata":
        q = size[slots] * min(1.0, quantity / float(held.sum()))
        return slots[q != 0], q[q != 0]
    if ranking == "dydx":
        start = int(rng.integers(slots.size)) if rng is not None else 0
        order = np.roll(np.arange(slots.size), -start)
    else:
        scores = risk.adl_score(size[slots], entry[slots], margin[slots], mark, ranking)
        order = np.argsort(-scores, kind="stable")
    slots, held = slots[order], held[order]
    before = np.cumsum(held) - held
    take = np.clip(quantity - before, 0.0, held)
    keep = take > 0
    slots, take = slots[keep], take[keep]
    return slots, take * np.sign(size[slots])


def pnl_to_pool_cuts(
    size: np.ndarray, entry: np.ndarray, mark: float, pool: float, high: float, target: float
) -> tuple[np.ndarray, np.ndarray]:
    """GMX v2's trigger: when one side's pending profit / pool exceeds `high`, the most
    profitable positions of that side are closed until it is back at `target`.

    Returns the slots and signed sizes to close at the mark (empty when nothing triggers).
    """
    if pool <= 0 or not np.isfinite(high):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    upnl = risk.unrealized_pnl(size, entry, mark)
    for side in (1, -1):
        winners = np.flatnonzero((np.sign(size) == side) & (upnl > 0))
        pending = float(upnl[winners].sum())
        if pending / pool <= high:
            continue
        order = winners[np.argsort(-upnl[winners], kind="stable")]
        excess = pending - target * pool
        before = np.cumsum(upnl[order]) - upnl[order]
        share = np.clip((excess - before) / upnl[order], 0.0, 1.0)
        keep = share > 0
        return order[keep], size[order[keep]] * share[keep]
    return np.zeros(0, dtype=np.int64), np.zeros(0)
