"""Exact running sums of floats, for counters that must add up to each other.

Every float64 is an integer multiple of 2**-1074 (the smallest subnormal), so a sum of
floats kept as an integer count of that unit never rounds. Reading it back divides two
integers, which Python rounds correctly, so a counter reads as the float nearest its
exact value however many terms it has seen. The waterfall's stage counters use this, so
``fund + lp + adl + socialized + ... + unresolved == bad debt`` holds exactly in the sums and
to the float64 rounding of each reported value (docs/waterfall-identity.md).
"""

from __future__ import annotations

_UNIT_BITS = 1074
_ONE = 1 << _UNIT_BITS


def units(x: float) -> int:
    """`x` as an exact integer count of 2**-1074; inf and NaN raise."""
    n, d = float(x).as_integer_ratio()
    return n << (_UNIT_BITS + 1 - d.bit_length())


def from_units(n: int) -> float:
    """The float nearest `n` × 2**-1074."""
    return n / _ONE


class ExactSum:
    """A running sum of floats held exactly; `value` is its nearest float, kept current
    because counters are read every step and added to only on events."""

    __slots__ = ("units", "value")

    def __init__(self, value: float = 0.0) -> None:
        self.units = units(value)
        self.value = float(value)

    def add(self, x: float) -> None:
        self.add_units(units(x))

    def add_units(self, n: int) -> None:
        self.units += n
        self.value = from_units(self.units)

    def __float__(self) -> float:
        return self.value


class ExactField:
    """A dataclass field kept as an `ExactSum` in the instance's `__dict__`: reads give
    the correctly rounded float, assignment restarts the sum at the value."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None) -> float:
        if obj is None:
            return 0.0
        return obj.__dict__[self.name].value

    def __set__(self, obj, value: float) -> None:
        obj.__dict__[self.name] = ExactSum(value)
