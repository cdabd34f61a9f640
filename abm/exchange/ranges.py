"""Allowed ranges of parameters, declared once on the dataclass field that holds them.

`ranged(0.015, "[0, 0.5]")` is a field default that carries its interval; the
dataclass checks it in `__post_init__` (`check_fields`) and the scenario schema reads
the same interval from the field's metadata, so a range is written in one place and
every message about it reads ``name must be in [lo, hi], got value``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

RANGE = "range"
"""The metadata key of a field's `Range`."""


@dataclass(frozen=True)
class Range:
    """An interval, either end open, of numbers or (`whole`) of whole numbers."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    whole: bool = False

    @classmethod
    def parse(cls, text: str, *, whole: bool = False) -> Range:
        """``"[0, 1)"``, ``"(0, inf)"``: brackets say which ends are included."""
        lo, hi = (float(part) for part in text[1:-1].split(","))
        return cls(lo, hi, text[0] == "(", text[-1] == ")", whole)

    def __str__(self) -> str:
        left, right = "(" if self.lo_open else "[", ")" if self.hi_open else "]"
        return f"{left}{self.lo:g}, {self.hi:g}{right}"

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` (the words after the field's name), or None."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"must be a number, got {value!r}"
        below = v <= self.lo if self.lo_open else v < self.lo
        above = v >= self.hi if self.hi_open else v > self.hi
        if math.isnan(v) or below or above:
            return f"must be in {self}, got {value!r}"
        if self.whole and (isinstance(value, bool) or v != int(v)):
            return f"must be a whole number in {self}, got {value!r}"
        return None

    def check(self, name: str, value: Any) -> float:
        """`value` as a float, or a ValueError naming the field and the range."""
        problem = self.problem(value)
        if problem:
            raise ValueError(f"{name} {problem}")
        return float(value)


def check_range(
    name: str,
    value: float,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Check a range that depends on other fields or is not a field of its own."""
    return Range(lo, hi, lo_open, hi_open).check(name, value)


def ranged(default: Any, interval: str, *, whole: bool = False, label: str = "") -> Any:
    """A dataclass field with `default` whose values must lie in `interval`.

    `label` replaces ``prefix + field name`` in messages where the field is known to
    users by another name (a model keyword).
    """
    return dataclasses.field(
        default=default,
        metadata={RANGE: Range.parse(interval, whole=whole), "label": label},
    )


def field_range(f: dataclasses.Field) -> Range | None:
    return f.metadata.get(RANGE)


def check_fields(obj: Any, prefix: str = "") -> None:
    """Check every field of dataclass `obj` that declares a range; messages name
    ``prefix + field`` (e.g. ``traders.activity``)."""
    for f in dataclasses.fields(obj):
        if (r := field_range(f)) is not None:
            r.check(f.metadata["label"] or prefix + f.name, getattr(obj, f.name))
