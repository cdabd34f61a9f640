"""The ledger: every unit of money in the simulation sits in exactly one account.

Balances live in one numpy array so that per-position accounts (trader margins) can be
debited or credited in a single vectorised call. Money enters or leaves the system only
through `deposit` and `withdraw`, which are recorded as external flows; `check` proves
that nothing else created or destroyed value.

The proof is strict because its tolerance is earned, not guessed: every write adds the
largest rounding error it can make to a budget (half an ulp of each balance it writes,
plus the summation error of the amounts it moves). So the tolerance is the sum of each
account's own rounding, relative to the flows through it, and a large pool elsewhere
(a fund seeded with 1e15) does not hide a small account creating money. NaN and infinite
balances or amounts are errors, and a batch that names one account twice is refused.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

AccountRef = int | str
Accounts = np.ndarray | slice
"""Many distinct accounts: an array of ids, or a slice over a contiguous block."""

EPS = float(np.finfo(np.float64).eps)
HALF_ULP = 0.5 * EPS
"""Largest relative rounding error of one float addition or multiplication."""
DUST = 1e-9
"""A debit short of the balance by at most DUST × max(1, amount) takes the whole balance."""


def sum_error(n: int) -> float:
    """Relative error bound of numpy's pairwise sum over `n` non-negative floats."""
    return EPS * (20 + n.bit_length())


class LedgerError(RuntimeError):
    """Raised when a transfer would overdraw an account or value was created or lost."""


class Ledger:
    """Named accounts with float balances and a record of external flows."""

    def __init__(self, capacity: int = 64) -> None:
        self._bal = np.zeros(capacity, dtype=np.float64)
        self._marks = np.zeros(capacity, dtype=np.int64)
        self._positions = np.arange(capacity, dtype=np.int64)
        self._count = 0
        self._names: dict[int, str] = {}
        self._ids: dict[str, int] = {}
        self._blocks: dict[str, tuple[int, int]] = {}
        self._distinct: tuple = (None, None)
        self.external_in: dict[str, float] = defaultdict(float)
        self.external_out: dict[str, float] = defaultdict(float)
        self.rounding_budget = 0.0
        """The largest total the balances can differ from the external flows by rounding."""

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
            size = max(self._count, 2 * self._bal.size)
            new = np.zeros(size, dtype=np.float64)
            new[: self._bal.size] = self._bal
            self._bal = new
            self._marks = np.zeros(size, dtype=np.int64)
            self._positions = np.arange(size, dtype=np.int64)
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
        self._credit(d, amount)
        return amount

    def split(self, src: int, dsts: tuple[int, ...], amounts: tuple[float, ...]) -> float:
        """One debit shared among several accounts (a fee split); returns the total."""
        for a in amounts:
            self._check_amount(a)
        total = sum(amounts)
        if total == 0.0:
            return 0.0
        moved = self._debit(src, total, "split")
        scale = moved / total
        for d, a in zip(dsts, amounts, strict=True):
            self._credit(d, a * scale)
        self.rounding_budget += EPS * (len(amounts) + 1) * moved
        return moved

    def collect(self, srcs: Accounts, dst: AccountRef, amounts: np.ndarray) -> float:
        """Debit many distinct accounts and credit their sum to one; returns the sum."""
        moved = self._debit_many(srcs, amounts, "collect")
        total = float(moved.sum())
        self._credit(self.id(dst), total)
        self.rounding_budget += sum_error(moved.size) * total
        return total

    def collect_split(
        self,
        srcs: Accounts,
        amounts: np.ndarray,
        dsts: tuple[int, ...],
        shares: tuple[float, ...],
    ) -> tuple[np.ndarray, list[float]]:
        """Debit many distinct accounts once and share the total among `dsts` (a fee split).

        The last destination gets what the other shares leave, so its own share is never
        read; the others must be finite and non-negative. Returns the amounts debited and
        what each destination received.
        """
        if not all(0.0 <= sh < math.inf for sh in shares[:-1]):
            raise LedgerError(f"collect shares must be finite and non-negative, got {shares}")
        if math.fsum(shares[:-1]) > 1.0 + DUST:
            raise LedgerError(f"collect shares must sum to at most 1, got {shares}")
        moved = self._debit_many(srcs, amounts, "collect")
        total = float(moved.sum())
        parts = [total * sh for sh in shares[:-1]]
        parts.append(total - sum(parts))
        if parts[-1] < 0.0:
            # Shares that sum to one overshoot by rounding: the largest part gives it back.
            k = max(range(len(parts) - 1), key=parts.__getitem__)
            parts[k] += parts[-1]
            parts[-1] = 0.0
        for d, part in zip(dsts, parts, strict=True):
            self._credit(d, part)
        self.rounding_budget += (sum_error(moved.size) + EPS * len(parts)) * total
        return moved, parts

    def move(self, srcs: np.ndarray, dsts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Pairwise transfers srcs[i] → dsts[i], each list naming distinct accounts."""
        if np.size(amounts):
            self._require_distinct(srcs, "move")
            self._require_distinct(dsts, "move")
        moved = self._debit_many(srcs, amounts, "move")
        if moved.size:
            self._credit_many(dsts, moved)
        return moved

    def distribute(self, src: AccountRef, dsts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Debit one account and credit many distinct ones; returns what each received.

        A source short of the total by float dust pays out pro rata to its balance.
        """
        amounts = self._check_amounts(amounts, "distribute")
        total = float(amounts.sum())
        if total == 0.0:
            return amounts
        self._require_distinct(dsts, "distribute")
        moved = self._debit(self.id(src), total, "distribute")
        paid = amounts * (moved / total)
        self._credit_many(dsts, paid)
        self.rounding_budget += (sum_error(paid.size) + 2 * EPS) * moved
        return paid

    # -- external flows -----------------------------------------------------------------
    def deposit(self, dst: AccountRef, amount: float, source: str) -> None:
        """Money entering the system from outside (a trader's deposit, treasury seeding)."""
        if amount == 0.0:
            return
        self._check_amount(amount)
        self._credit(self.id(dst), amount)
        self.external_in[source] += amount
        self.rounding_budget += HALF_ULP * self.external_in[source]

    def withdraw(self, src: AccountRef, amount: float, sink: str) -> float:
        """Money leaving the system (a withdrawal, gas paid to the chain); returns it."""
        if amount == 0.0:
            return 0.0
        self._check_amount(amount)
        amount = self._debit(self.id(src), amount, "withdrawal")
        self.external_out[sink] += amount
        self.rounding_budget += HALF_ULP * self.external_out[sink]
        return amount

    # -- invariants ---------------------------------------------------------------------
    def total(self) -> float:
        return math.fsum(self._bal[: self._count].tolist())

    def expected_total(self) -> float:
        ins, outs = self._external()
        return ins - outs

    def _external(self) -> tuple[float, float]:
        """What came in and what went out, each summed exactly."""
        return math.fsum(self.external_in.values()), math.fsum(self.external_out.values())

    def _allowed(self, total: float, ins: float, outs: float) -> float:
        """What rounding may explain: the budget, plus the last sums' own rounding."""
        return self.rounding_budget + EPS * (abs(total) + ins + outs)

    def verify(self) -> None:
        """The cheap invariant, one pass over the balances: conserved, no NaN, no inf.

        Cheap enough for every model step; on a failure the full `check` names the fault.
        """
        bal = self._bal[: self._count]
        total = float(np.add.reduce(bal))
        ins, outs = self._external()
        expected = ins - outs
        allowed = self._allowed(total, ins, outs) + sum_error(bal.size) * abs(total)
        if not (math.isfinite(total) and abs(total - expected) <= allowed):
            self.check()
            raise LedgerError(
                f"value not conserved: balances sum to {total:.17g}, "
                f"external flows to {expected:.17g}"
            )

    def check(self) -> None:
        """Raise `LedgerError` unless every balance is a finite non-negative number and
        the balances add up to the external flows within the rounding budget."""
        bal = self._bal[: self._count]
        bad = ~np.isfinite(bal)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LedgerError(f"account {self.name(i)!r} is not a finite number: {bal[i]}")
        flows = [*self.external_in.items(), *self.external_out.items()]
        for source, value in flows:
            if not math.isfinite(value):
                raise LedgerError(f"external flow {source!r} is not a finite number: {value}")
        if bal.size and bal.min() < 0.0:
            i = int(np.argmin(bal))
            raise LedgerError(f"account {self.name(i)!r} is negative: {bal[i]:.6g}")
        ins, outs = self._external()
        total, expected = self.total(), ins - outs
        allowed = self._allowed(total, ins, outs)
        if not abs(total - expected) <= allowed:
            raise LedgerError(
                f"value not conserved: balances sum to {total:.17g}, "
                f"external flows to {expected:.17g} (difference {total - expected:.3g}, "
                f"rounding allows {allowed:.3g})"
            )

    def snapshot(self, names: Iterable[str]) -> dict[str, float]:
        return {n: self.balance(n) for n in names}

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _check_amount(amount: float) -> None:
        if not 0.0 <= amount < math.inf:
            raise LedgerError(f"transfer amount must be finite and non-negative, got {amount}")

    @staticmethod
    def _check_amounts(amounts, what: str) -> np.ndarray:
        amounts = np.asarray(amounts, dtype=np.float64)
        # min() is nan when any amount is, so one comparison also rejects nan.
        if amounts.size and not (amounts.min() >= 0.0 and amounts.max() < math.inf):
            raise LedgerError(f"{what} amounts must be finite and non-negative")
        return amounts

    def _require_distinct(self, ids: Accounts, what: str) -> None:
        """Refuse a batch that names one account twice: numpy's fancy-index writes would
        apply only one of its entries, creating or destroying money.

        On large batches each entry writes its position into a scratch array, and an
        account named twice keeps only the later position. The last two arrays found
        distinct are remembered (read-only from then on), so the legs of one settlement
        check each array once.
        """
        seen = self._distinct
        if ids.__class__ is slice or ids is seen[0] or ids is seen[1] or ids.size < 2:
            return
        if ids.size <= 64:  # a set is cheaper than numpy's fixed cost on small batches
            distinct = len(set(ids.tolist())) == ids.size
        else:
            pos = self._positions[: ids.size]
            self._marks[ids] = pos
            distinct = bool((self._marks[ids] == pos).all())
        if not distinct:
            values, counts = np.unique(ids, return_counts=True)
            dup = int(values[np.argmax(counts > 1)])
            raise ValueError(f"{what} names account {self.name(dup)!r} more than once")
        ids.flags.writeable = False
        self._distinct = (ids, seen[0])

    def _debit(self, idx: int, amount: float, what: str) -> float:
        """Debit `amount`, or the whole balance when it falls short by float dust only."""
        have = float(self._bal[idx])
        if have < amount:
            if not have >= amount - DUST * max(1.0, amount):
                raise LedgerError(
                    f"{what} of {amount:.6g} overdraws {self.name(idx)!r} (balance {have:.6g})"
                )
            amount = have
        self._bal[idx] = have - amount
        self.rounding_budget += HALF_ULP * have
        return amount

    def _credit(self, idx: int, amount: float) -> None:
        new = float(self._bal[idx]) + amount
        self._bal[idx] = new
        self.rounding_budget += HALF_ULP * abs(new)

    def _debit_many(self, srcs: Accounts, amounts, what: str) -> np.ndarray:
        """Debit distinct accounts; float dust short of a balance debits the whole balance."""
        amounts = self._check_amounts(amounts, what)
        if amounts.size == 0:
            return amounts
        self._require_distinct(srcs, what)
        have = self._bal[srcs]
        moved = np.minimum(amounts, have)
        over = amounts - moved
        # Dust allowed per account is DUST × max(1, amount) ≥ DUST, so the elementwise
        # test is needed only when some account falls short by more.
        if over.max() > DUST:
            short = over > DUST * np.maximum(1.0, amounts)
            if short.any():
                i = int(np.flatnonzero(short)[0])
                ids = np.arange(self._bal.size)[srcs]
                raise LedgerError(f"{what} overdraws {self.name(int(ids[i]))!r} by {over[i]:.6g}")
        rest = have - moved
        self._bal[srcs] = rest
        self.rounding_budget += HALF_ULP * float(np.add.reduce(rest))
        return moved

    def _credit_many(self, dsts: np.ndarray, amounts: np.ndarray) -> None:
        """Credit distinct accounts (checked by the caller before anything moved)."""
        new = self._bal[dsts] + amounts
        self._bal[dsts] = new
        self.rounding_budget += HALF_ULP * float(np.add.reduce(new))
