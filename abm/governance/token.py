"""The governance token: balances by holder id with a checkpoint per step.

Like Compound's `getPriorVotes`, `balance_at(holder, step)` answers with the balance at
the end of a past step. A flash loan minted and burnt within one step therefore leaves
no trace in any checkpoint, which is what makes snapshot voting a defence.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

GENESIS_STEP = -1
"""Initial balances are checkpointed here, so a proposal at step 0 can read step -1."""


def pareto_allocation(n: int, total: float, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Split `total` over `n` holders with Pareto weights: a few whales, many small holders.

    A lower `alpha` concentrates the supply more (1.16 gives the 80/20 rule).
    """
    if n <= 0:
        return np.zeros(0)
    weights = rng.pareto(alpha, n) + 1.0
    return total * weights / weights.sum()


class _History:
    """Step-ordered checkpoints of one quantity; a write in the same step overwrites."""

    __slots__ = ("steps", "values")

    def __init__(self, step: int, value: float) -> None:
        self.steps = [step]
        self.values = [value]

    def write(self, step: int, value: float) -> None:
        if step == self.steps[-1]:
            self.values[-1] = value
        else:
            self.steps.append(step)
            self.values.append(value)

    def at(self, step: int) -> float:
        i = bisect_right(self.steps, step) - 1
        return self.values[i] if i >= 0 else 0.0


class Token:
    """Balances of holders 0…n-1, their total supply, and the history of both."""

    def __init__(self, balances: np.ndarray | list[float], step: int = GENESIS_STEP) -> None:
        bal = np.asarray(balances, dtype=np.float64)
        if bal.ndim != 1 or not np.all(np.isfinite(bal)) or np.any(bal < 0):
            raise ValueError("token balances must be a 1-d array of finite, non-negative numbers")
        self._bal = bal.copy()
        self._supply = float(bal.sum())
        self._history = [_History(step, float(b)) for b in bal]
        self._supply_history = _History(step, self._supply)
        self._clock = step

    # -- holders ------------------------------------------------------------------------
    @property
    def n_holders(self) -> int:
        return int(self._bal.size)

    def add_holder(self, balance: float = 0.0, step: int = GENESIS_STEP) -> int:
        """Open a new holder id, minting `balance` to it at `step`."""
        holder = self.n_holders
        self._bal = np.append(self._bal, 0.0)
        self._history.append(_History(step, 0.0))
        if balance:
            self.mint(holder, balance, step)
        return holder

    def _check_holder(self, holder: int) -> int:
        if not 0 <= holder < self._bal.size:
            raise KeyError(f"no token holder {holder}")
        return int(holder)

    # -- reads --------------------------------------------------------------------------
    @property
    def supply(self) -> float:
        return self._supply

    @property
    def balances(self) -> np.ndarray:
        """A read-only view of current balances, indexed by holder id."""
        view = self._bal.view()
        view.flags.writeable = False
        return view

    def balance(self, holder: int) -> float:
        return float(self._bal[self._check_holder(holder)])

    def balance_at(self, holder: int, step: int) -> float:
        """The balance at the end of `step` (only final once that step is over)."""
        return self._history[self._check_holder(holder)].at(step)

    def supply_at(self, step: int) -> float:
        return self._supply_history.at(step)

    # -- writes -------------------------------------------------------------------------
    def transfer(self, src: int, dst: int, amount: float, step: int) -> None:
        self._check_holder(dst)
        self._debit(src, amount, step)
        self._credit(dst, amount, step)

    def mint(self, holder: int, amount: float, step: int) -> None:
        self._credit(holder, amount, step)
        self._supply += amount
        self._supply_history.write(step, self._supply)

    def burn(self, holder: int, amount: float, step: int) -> None:
        self._debit(holder, amount, step)
        self._supply -= amount
        self._supply_history.write(step, self._supply)

    def _credit(self, holder: int, amount: float, step: int) -> None:
        h = self._check_holder(holder)
        self._check_amount(amount)
        self._tick(step)
        self._bal[h] += amount
        self._history[h].write(step, float(self._bal[h]))

    def _debit(self, holder: int, amount: float, step: int) -> None:
        h = self._check_holder(holder)
        self._check_amount(amount)
        if amount > self._bal[h]:
            raise ValueError(f"holder {h} has {self._bal[h]:.6g} tokens, cannot move {amount:.6g}")
        self._tick(step)
        self._bal[h] -= amount
        self._history[h].write(step, float(self._bal[h]))

    def _tick(self, step: int) -> None:
        """Refuse to write into a step before the latest one written: history is final."""
        if step < self._clock:
            raise ValueError(f"checkpoints move forward: step {step} is before step {self._clock}")
        self._clock = step

    @staticmethod
    def _check_amount(amount: float) -> None:
        if not np.isfinite(amount) or amount < 0:
            raise ValueError(f"token amount must be finite and non-negative, got {amount!r}")
