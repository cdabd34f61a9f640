"""The ledger: every unit of money in the simulation sits in exactly one account.

Balances live in one numpy array so that per-position accounts (trader margins) can be
debited or credited in a single vectorised call. Money enters or leaves the system only
through `deposit` and `withdraw`, which are recorded as external flows; `check` proves
that nothing else created or destroyed value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

AccountRef = int | str
Accounts = np.ndarray | slice
"""Many distinct accounts: an array of ids, or a slice over a contiguous block."""


class LedgerError(RuntimeError):
    """Raised when a transfer would overdraw an account or value was created or lost."""


class Ledger:
    """Named accounts with float balances and a record of external flows."""

    def __init__(self, rtol: float = 1e-9, capacity: int = 64) -> None:
        self.rtol = rtol
        self._bal = np.zeros(capacity, dtype=np.float64)
        self._count = 0
        self._names: dict[int, str] = {}
        self._ids: dict[str, int] = {}
        self._blocks: dict[str, tuple[int, int]] = {}
        self.external_in: dict[str, float] = defaultdict(float)
        self.external_out: dict[str, float] = defaultdict(float)
        self.tolerance = 1e-9

    # -- accounts -----------------------------------------------------------------------
    def open(self, name: str) -> int:
        """Open one named account at zero and return its id."""
        if name in self:
            raise ValueError(f"account {name!r} already exists")
        idx = self._take(1)
        self._names[idx] = name
        self._ids[name] = idx
        return idx

    def open_block(self, prefix: str, n: int) -> np.ndarray:
        """Open `n` contiguous accounts named `prefix:0 … prefix:n-1` and return their ids.

        Block names are worked out when asked for, not stored: a million-slot book would
        otherwise hold two million strings.
        """
        taken = [name for name in self._ids if name.rpartition(":")[0] == prefix]
        if prefix in self._blocks or taken:
            raise ValueError(f"account {(taken or [prefix + ':0'])[0]!r} already exists")
        start = self._take(n)
        self._blocks[prefix] = (start, n)
        return np.arange(start, start + n, dtype=np.int64)

    def _take(self, n: int) -> int:
        """Reserve `n` new ids (growing the balance array) and return the first."""
        start = self._count
        self._count += n
        if self._count > self._bal.size:
            new = np.zeros(max(self._count, 2 * self._bal.size), dtype=np.float64)
            new[: self._bal.size] = self._bal
            self._bal = new
        return start

    def _block_id(self, name: str) -> int | None:
        prefix, _, index = name.rpartition(":")
        block = self._blocks.get(prefix)
        if block is None or not index.isdigit() or str(int(index)) != index:
            return None
        i = int(index)
        return block[0] + i if i < block[1] else None

    def id(self, ref: AccountRef) -> int:
        if isinstance(ref, str):
            found = self._ids.get(ref)
            if found is None:
                found = self._block_id(ref)
            if found is None:
                raise KeyError(f"no account named {ref!r}")
            return found
        return int(ref)

    def name(self, idx: int) -> str:
        found = self._names.get(idx)
        if found is not None:
            return found
        for prefix, (start, n) in self._blocks.items():
            if start <= idx < start + n:
                return f"{prefix}:{idx - start}"
        raise IndexError(f"no account with id {idx}")

    def __contains__(self, name: str) -> bool:
        return name in self._ids or self._block_id(name) is not None

    @property
    def balances(self) -> np.ndarray:
        """A read-only view of all balances, indexed by account id."""
        view = self._bal[: self._count]
        view.flags.writeable = False
        return view

    def balance(self, ref: AccountRef) -> float:
        return float(self._bal[self.id(ref)])

    def get(self, idx: int) -> float:
        """Balance by id: the fast path for scalar reads."""
        return float(self._bal[idx])

    def balances_of(self, ids: np.ndarray) -> np.ndarray:
        return self._bal[ids]

    # -- internal transfers -------------------------------------------------------------
    def transfer(self, src: AccountRef, dst: AccountRef, amount: float) -> float:
        """Move `amount` from `src` to `dst` and return what moved; overdrawing raises."""
        if amount == 0.0:
            return 0.0
        self._check_amount(amount)
        s = src if src.__class__ is int else self.id(src)
        d = dst if dst.__class__ is int else self.id(dst)
        amount = self._debit(s, amount, "transfer")
        self._bal[d] += amount
        return amount

    def split(self, src: int, dsts: tuple[int, ...], amounts: tuple[float, ...]) -> float:
        """One debit shared among several accounts (a fee split); returns the total."""
        total = sum(amounts)
        if total == 0.0:
            return 0.0
        for a in amounts:
            self._check_amount(a)
        moved = self._debit(src, total, "split")
        scale = moved / total
        for d, a in zip(dsts, amounts, strict=True):
            self._bal[d] += a * scale
        return moved

    def collect(self, srcs: Accounts, dst: AccountRef, amounts: np.ndarray) -> float:
        """Debit many distinct accounts and credit their sum to one; returns the sum."""
        moved = self._debit_many(srcs, amounts, "collect")
        total = float(moved.sum())
        self._bal[self.id(dst)] += total
        return total

    def collect_split(
        self,
        srcs: Accounts,
        amounts: np.ndarray,
        dsts: tuple[int, ...],
        shares: tuple[float, ...],
    ) -> tuple[np.ndarray, list[float]]:
        """Debit many distinct accounts once and share the total among `dsts` (a fee split).

        Returns the amounts debited and what each destination received.
        """
        moved = self._debit_many(srcs, amounts, "collect")
        total = float(moved.sum())
        parts = [total * sh for sh in shares[:-1]]
        parts.append(total - sum(parts))
        for d, part in zip(dsts, parts, strict=True):
            self._bal[d] += part
        return moved, parts

    def move(self, srcs: np.ndarray, dsts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Pairwise transfers srcs[i] → dsts[i] between distinct accounts; returns amounts."""
        moved = self._debit_many(srcs, amounts, "move")
        self._bal[dsts] += moved
        return moved

    def distribute(self, src: AccountRef, dsts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Debit one account and credit many distinct ones; returns what each received.

        A source short of the total by float dust pays out pro rata to its balance.
        """
        amounts = self._check_amounts(amounts, "distribute")
        total = float(amounts.sum())
        if total == 0.0:
            return amounts
        moved = self._debit(self.id(src), total, "distribute")
        paid = amounts * (moved / total)
        self._bal[dsts] += paid
        return paid

    def _check_amounts(self, amounts, what: str) -> np.ndarray:
        amounts = np.asarray(amounts, dtype=np.float64)
        # min() is nan when any amount is, so one comparison also rejects nan.
        if amounts.size and not (amounts.min() >= 0.0 and amounts.max() < math.inf):
            raise LedgerError(f"{what} amounts must be finite and non-negative")
        return amounts

    def _debit_many(self, srcs: Accounts, amounts, what: str) -> np.ndarray:
        """Debit distinct accounts; float dust short of a balance debits the whole balance."""
        amounts = self._check_amounts(amounts, what)
        if amounts.size == 0:
            return amounts
        have = self._bal[srcs]
        moved = np.minimum(amounts, have)
        over = amounts - moved
        # Dust allowed per account is tolerance × max(1, amount) ≥ tolerance, so the
        # elementwise test is needed only when some account falls short by more.
        if over.max() > self.tolerance:
            short = over > self.tolerance * np.maximum(1.0, amounts)
            if short.any():
                i = int(np.flatnonzero(short)[0])
                ids = np.arange(self._bal.size)[srcs]
                raise LedgerError(f"{what} overdraws {self.name(int(ids[i]))!r} by {over[i]:.6g}")
        self._bal[srcs] = have - moved
        return moved

    # -- external flows -----------------------------------------------------------------
    def deposit(self, dst: AccountRef, amount: float, source: str) -> None:
        """Money entering the system from outside (a trader's deposit, treasury seeding)."""
        if amount == 0.0:
            return
        self._check_amount(amount)
        self._bal[self.id(dst)] += amount
        self.external_in[source] += amount

    def withdraw(self, src: AccountRef, amount: float, sink: str) -> float:
        """Money leaving the system (a withdrawal, gas paid to the chain); returns it."""
        if amount == 0.0:
            return 0.0
        self._check_amount(amount)
        amount = self._debit(self.id(src), amount, "withdrawal")
        self.external_out[sink] += amount
        return amount

    # -- invariants ---------------------------------------------------------------------
    def total(self) -> float:
        return math.fsum(self._bal[: self._count].tolist())

    def expected_total(self) -> float:
        return math.fsum(self.external_in.values()) - math.fsum(self.external_out.values())

    def check(self) -> None:
        """Raise `LedgerError` if the balances differ from the external flows (rtol 1e-9)."""
        total, expected = self.total(), self.expected_total()
        scale = max(abs(expected), sum(self.external_in.values()), 1.0)
        if abs(total - expected) > self.rtol * scale:
            raise LedgerError(
                f"value not conserved: balances sum to {total:.12g}, "
                f"external flows to {expected:.12g} (difference {total - expected:.3g})"
            )
        if self._bal[: self._count].min(initial=0.0) < -self.tolerance * scale:
            i = int(np.argmin(self._bal[: self._count]))
            raise LedgerError(f"account {self.name(i)!r} is negative: {self._bal[i]:.6g}")

    def snapshot(self, names: Iterable[str]) -> dict[str, float]:
        return {n: self.balance(n) for n in names}

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _check_amount(amount: float) -> None:
        if not 0.0 <= amount < math.inf:
            raise LedgerError(f"transfer amount must be finite and non-negative, got {amount}")

    def _debit(self, idx: int, amount: float, what: str) -> float:
        """Debit `amount`, or the whole balance when it falls short by float dust only."""
        have = float(self._bal[idx])
        if have < amount:
            if have < amount - self.tolerance * max(1.0, amount):
                raise LedgerError(
                    f"{what} of {amount:.6g} overdraws {self.name(idx)!r} (balance {have:.6g})"
                )
            amount = float(have)
        self._bal[idx] -= amount
        return amount
