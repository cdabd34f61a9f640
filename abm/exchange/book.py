"""The position book: one isolated position per trader slot, held in numpy arrays.

A slot's collateral is its margin account in the ledger, and its free cash is its wallet
account; both are contiguous blocks so that a whole-book computation reads them as
slices. Slots are reused when a trader leaves and a new one arrives.
"""

from __future__ import annotations

import numpy as np

from . import risk
from .ledger import Ledger
from .params import ExchangeParams

DUST = 1e-12


class PositionBook:
    """Signed sizes and entry prices per slot; margins and wallets live in the ledger."""

    def __init__(self, ledger: Ledger, capacity: int, prefix: str = "") -> None:
        self.ledger = ledger
        self.capacity = capacity
        self.size = np.zeros(capacity)
        self.entry = np.zeros(capacity)
        self.margin_ids = ledger.open_block(prefix + "margin", capacity)
        self.wallet_ids = ledger.open_block(prefix + "wallet", capacity)
        self.adl_hits = np.zeros(capacity, dtype=np.int64)
        self.socialized_hits = np.zeros(capacity, dtype=np.int64)
        self.liquidated = np.zeros(capacity, dtype=np.int64)
        self._version = 0
        self._oi_cache: tuple[int, float, float] = (0, 0.0, 0.0)
        self._m0 = int(self.margin_ids[0]) if capacity else 0
        self._w0 = int(self.wallet_ids[0]) if capacity else 0
        self.margin_block = slice(self._m0, self._m0 + capacity)
        """Every slot's margin account, for whole-book ledger transfers without a gather."""

    @property
    def margin(self) -> np.ndarray:
        """Collateral of every slot (a read-only view of the ledger)."""
        return self.ledger.balances[self._m0 : self._m0 + self.capacity]

    @property
    def wallet(self) -> np.ndarray:
        return self.ledger.balances[self._w0 : self._w0 + self.capacity]

    def margin_id(self, slot: int) -> int:
        return self._m0 + slot

    def wallet_id(self, slot: int) -> int:
        return self._w0 + slot

    def open_slots(self) -> np.ndarray:
        return np.flatnonzero(self.size != 0.0)

    def add(self, slot: int, size: float, price: float) -> None:
        """Add to one position on its own side at `price`."""
        old = self.size[slot]
        if old != 0.0 and np.sign(old) != np.sign(size):
            raise ValueError("add() only grows a position on its own side; close it first")
        self.add_many(np.array([slot]), np.array([size]), np.array([price]))

    def add_many(self, slots: np.ndarray, sizes: np.ndarray, prices: np.ndarray) -> None:
        """Grow distinct positions on their own side (volume-weighted entries)."""
        old = self.size[slots]
        new = old + sizes
        self.entry[slots] = (old * self.entry[slots] + sizes * prices) / new
        self._set(slots, old, new)

    def reduce_many(self, slots: np.ndarray, sizes: np.ndarray) -> None:
        """Remove `sizes` (same signs as the positions) from distinct slots."""
        old = self.size[slots]
        rest = old - sizes
        flat = np.abs(rest) <= DUST * np.maximum(1.0, np.abs(old))
        self.entry[slots] = np.where(flat, 0.0, self.entry[slots])
        self._set(slots, old, np.where(flat, 0.0, rest))

    def _set(self, slots: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        self.size[slots] = new
        self._version += 1

    def base_open_interest(self) -> tuple[float, float]:
        """Long and short size in base units, summed afresh after any change to the book
        (running totals drift: a flat book must read exactly zero)."""
        version, long_base, short_base = self._oi_cache
        if version != self._version:
            gross, net = float(np.abs(self.size).sum()), float(self.size.sum())
            long_base, short_base = max(0.0, 0.5 * (gross + net)), max(0.0, 0.5 * (gross - net))
            self._oi_cache = (self._version, long_base, short_base)
        return long_base, short_base

    # -- vectorised views ---------------------------------------------------------------
    def upnl(self, mark: float) -> np.ndarray:
        return risk.unrealized_pnl(self.size, self.entry, mark)

    def equity(self, mark: float) -> np.ndarray:
        return risk.equity(self.margin, self.size, self.entry, mark)

    def liquidatable(self, mark: float, params: ExchangeParams) -> np.ndarray:
        """Slots below maintenance margin: the hot path, one vectorised pass."""
        return np.flatnonzero(risk.liquidatable(self.margin, self.size, self.entry, mark, params))

    def open_interest(self, mark: float) -> tuple[float, float]:
        """Long and short open interest in quote units."""
        long_base, short_base = self.base_open_interest()
        return long_base * mark, short_base * mark
