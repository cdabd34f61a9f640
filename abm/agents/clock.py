"""The model's step count on every Mesa this package supports."""

from __future__ import annotations

from typing import Any


def step_of(model: Any) -> int:
    """Steps taken so far: `model.time` where Mesa has it (3.4 on, and the only clock left
    in 4.0, which removes `model.steps`), else `model.steps`. A step is one time unit."""
    time = getattr(model, "time", None)
    return model.steps if time is None else int(time)
