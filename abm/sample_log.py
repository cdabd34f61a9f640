"""Agent samples stored as their differences from the sample after them.

Between two samples most agents' values stay put: a flat trader's equity, leverage,
liquidation price and liquidation count do not move, and the population rarely changes.
So every sample but the newest is kept as the positions where each column differs, bit
for bit, from the same column one sample later, with its values there, and the newest is
kept whole: adding a sample costs one comparison with the newest and no copy, and
reading decodes backwards from the newest. At a million traders of the default market a
sample then takes about a third of its whole size, and what is read back is the same,
bit for bit, as what was added (NaN payloads and the sign of zero included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class _Changes:
    """A column as its differences from the same column one sample later."""

    where: np.ndarray | None
    """The changed positions as packed bits (np.packbits), or None where none changed."""
    values: np.ndarray
    """The column's values at the changed positions."""


Stored = np.ndarray | _Changes


def _bits(a: np.ndarray) -> np.ndarray:
    """The array's bytes as unsigned integers of the same width, for an exact comparison."""
    return a.view(f"u{a.itemsize}")


def _against(old: np.ndarray, new: np.ndarray) -> Stored:
    """`old` (the newest sample's column until `new` came) stored as its changes from
    `new` where they compare element by element (same length and numeric dtype); else
    `old` whole."""
    if old.shape != new.shape or old.dtype != new.dtype or old.dtype.kind not in "biuf":
        return old
    changed = _bits(old) != _bits(new)
    if not changed.any():
        return _Changes(None, np.empty(0, old.dtype))  # not old[:0], a view keeping old
    return _Changes(np.packbits(changed), old[changed])


def _dtype(stored: Stored) -> np.dtype:
    return stored.values.dtype if isinstance(stored, _Changes) else stored.dtype


@dataclass
class _Sample:
    step: int
    size: int
    columns: dict[str, Stored]
    categories: dict[str, pd.CategoricalDtype] = field(default_factory=dict)
    """Columns added as pandas Categoricals, stored as their codes."""


IDS = "AgentID"
"""The key the agent ids are kept under, beside the columns."""


class SampleLog:
    """Samples of one agent type: a step, the agents' ids, and one array per column."""

    def __init__(self) -> None:
        self._samples: list[_Sample] = []

    def __len__(self) -> int:
        return len(self._samples)

    def append(self, step: int, ids: np.ndarray, columns: dict[str, object]) -> None:
        new: dict[str, np.ndarray] = {IDS: np.asarray(ids)}
        categories = {}
        for name, col in columns.items():
            if isinstance(col, pd.Categorical):
                categories[name] = col.dtype
                col = col.codes
            new[name] = np.asarray(col)
        if self._samples:
            last = self._samples[-1]
            last.columns = {
                name: _against(old, new[name]) if name in new else old
                for name, old in last.columns.items()
            }
        self._samples.append(_Sample(step, new[IDS].size, new, categories))

    def steps(self) -> np.ndarray:
        """The step of every row, sample after sample."""
        return np.repeat(
            np.array([s.step for s in self._samples], dtype=np.int64),
            [s.size for s in self._samples],
        )

    def column(self, name: str) -> np.ndarray:
        """Column `name` (or the ids, `IDS`) of every sample, concatenated in order.

        Each sample is rebuilt in place from the one after it, so decoding needs no
        memory beyond the result.
        """
        samples = self._samples
        stored = [s.columns[name] for s in samples]
        bounds = np.concatenate([[0], np.cumsum([s.size for s in samples])])
        out = np.empty(int(bounds[-1]), dtype=np.result_type(*map(_dtype, stored)))
        for k in range(len(samples) - 1, -1, -1):
            block = out[bounds[k] : bounds[k + 1]]
            col = stored[k]
            if isinstance(col, _Changes):
                block[:] = out[bounds[k + 1] : bounds[k + 2]]
                if col.where is not None:
                    block[np.unpackbits(col.where, count=block.size).view(bool)] = col.values
            else:
                block[:] = col
        if not any(name in s.categories for s in samples):
            return out
        return np.concatenate(
            [
                np.asarray(
                    pd.Categorical.from_codes(
                        out[bounds[k] : bounds[k + 1]], dtype=s.categories[name], validate=False
                    )
                )
                for k, s in enumerate(samples)
            ]
        )

    def nbytes(self) -> int:
        """Bytes held by the stored arrays."""
        total = 0
        for s in self._samples:
            for col in s.columns.values():
                if isinstance(col, _Changes):
                    total += col.values.nbytes + (0 if col.where is None else col.where.nbytes)
                else:
                    total += col.nbytes
        return total
