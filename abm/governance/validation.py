"""Field checks shared by the governance parameter dataclasses.

They raise the same kind of message as `abm.exchange.params.check_range`, so a bad value
from a scenario file or a slider names the field and its allowed range.
"""

from __future__ import annotations

import numpy as np

from ..exchange.params import check_range


def check_int(name: str, value: object, lo: int, hi: int) -> int:
    """Return `value` as an int in [lo, hi], or raise a ValueError naming the field."""
    v = check_range(name, value, lo, hi)
    if v != int(v):
        raise ValueError(f"{name} must be a whole number of steps in [{lo}, {hi}], got {value!r}")
    return int(v)


def check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return str(value)
