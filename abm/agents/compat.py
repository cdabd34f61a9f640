"""What differs between the Mesa releases this package supports (3.3.1 and 3.5.x)."""

from __future__ import annotations

from typing import Any

import mesa


def step_of(model: Any) -> int:
    """Steps taken so far: `model.time` where Mesa has it (3.4 on, and the only clock left
    in 4.0, which removes `model.steps`), else `model.steps`. A step is one time unit."""
    time = getattr(model, "time", None)
    return model.steps if time is None else int(time)


def release(model: mesa.Model) -> None:
    """Let a finished model be garbage-collected.

    Mesa before 3.4.2 counts agent ids in a class-level dict keyed by model
    (`Agent._ids`), which keeps every model alive for the life of the process, so a sweep
    worker grows with every run (fixed upstream in Mesa 3.4.2, #3180). This drops the
    finished model's counter; newer Mesa has no such dict and nothing is done. Call it
    only once no more agents will be added to `model`.
    """
    ids = vars(mesa.Agent).get("_ids")
    if isinstance(ids, dict):
        ids.pop(model, None)
