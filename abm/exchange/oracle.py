"""The oracle: the mark price used for margin, which may lag, freeze or be pushed.

Updates follow a heartbeat (every `heartbeat` steps) or a deviation threshold, as
Chainlink-style feeds do. A freeze window holds the last price (a failed feed) and
catches up when it ends; a manipulation window reports the reference price moved by
`manipulation` (a thin spot market pushed, as at Mango Markets in October 2022).
"""

from __future__ import annotations

from dataclasses import dataclass

from .params import check_range


@dataclass
class OracleParams:
    heartbeat: int = 1
    deviation: float = 0.0
    freeze_start: int = -1
    freeze_steps: int = 0
    manipulation_start: int = -1
    manipulation_steps: int = 0
    manipulation: float = 0.0

    def __post_init__(self) -> None:
        check_range("heartbeat", self.heartbeat, 1, 10**9)
        check_range("deviation", self.deviation, 0.0, 1.0)
        check_range("freeze_start", self.freeze_start, -1, 10**9)
        check_range("freeze_steps", self.freeze_steps, 0, 10**9)
        check_range("manipulation_start", self.manipulation_start, -1, 10**9)
        check_range("manipulation_steps", self.manipulation_steps, 0, 10**9)
        check_range("manipulation", self.manipulation, -0.99, 100.0)


class Oracle:
    """Reports a mark price derived from the reference price."""

    def __init__(self, params: OracleParams, price: float) -> None:
        self.params = params
        self.price = price
        self.last_update = 0

    def frozen(self, step: int) -> bool:
        p = self.params
        return p.freeze_start >= 0 and p.freeze_start <= step < p.freeze_start + p.freeze_steps

    def manipulated(self, step: int) -> bool:
        p = self.params
        return (
            p.manipulation_start >= 0
            and p.manipulation_start <= step < p.manipulation_start + p.manipulation_steps
        )

    def update(self, step: int, reference: float) -> float:
        p = self.params
        if self.frozen(step):
            return self.price
        if self.manipulated(step):
            self.price = reference * (1.0 + p.manipulation)
            self.last_update = step
            return self.price
        moved = abs(reference / self.price - 1.0)
        due = step - self.last_update >= p.heartbeat
        stale = self.frozen(step - 1) or self.manipulated(step - 1)
        if due or stale or (p.deviation > 0 and moved >= p.deviation):
            self.price = reference
            self.last_update = step
        return self.price
