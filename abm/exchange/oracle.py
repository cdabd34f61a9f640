"""The oracle: the mark price used for margin, which may lag, freeze or be pushed.

Updates follow a heartbeat (every `heartbeat` hours) or a deviation threshold, as
Chainlink-style feeds do. Times are in hours from the start of the run. A freeze window
holds the last price (a failed feed) and catches up when it ends; a manipulation window
reports the reference price moved by `manipulation` (a thin spot market pushed, as at
Mango Markets in October 2022).
"""

from __future__ import annotations

from dataclasses import dataclass

from .ranges import check_fields, ranged


@dataclass
class OracleParams:
    heartbeat: float = ranged(1.0, "(0, 1e9]")
    deviation: float = ranged(0.0, "[0, 1]")
    freeze_start: float = ranged(-1.0, "[-1, 1e9]")
    freeze_hours: float = ranged(0.0, "[0, 1e9]")
    manipulation_start: float = ranged(-1.0, "[-1, 1e9]")
    manipulation_hours: float = ranged(0.0, "[0, 1e9]")
    manipulation: float = ranged(0.0, "[-0.99, 100]")

    def __post_init__(self) -> None:
        check_fields(self)


class Oracle:
    """Reports a mark price derived from the reference price."""

    def __init__(self, params: OracleParams, price: float, step_hours: float = 1.0) -> None:
        self.params = params
        self.price = price
        self.step_hours = step_hours
        self.last_update = 0.0

    def frozen(self, hour: float) -> bool:
        p = self.params
        return p.freeze_start >= 0 and p.freeze_start <= hour < p.freeze_start + p.freeze_hours

    def manipulated(self, hour: float) -> bool:
        p = self.params
        return (
            p.manipulation_start >= 0
            and p.manipulation_start <= hour < p.manipulation_start + p.manipulation_hours
        )

    def update(self, step: int, reference: float) -> float:
        p = self.params
        hour = step * self.step_hours
        if self.frozen(hour):
            return self.price
        if self.manipulated(hour):
            self.price = reference * (1.0 + p.manipulation)
            self.last_update = hour
            return self.price
        moved = abs(reference / self.price - 1.0)
        # A feed that updated at this hour follows the rest of the bar (its intrabar
        # prices and its close); one that did not holds until a heartbeat or deviation.
        due = hour - self.last_update >= p.heartbeat - 1e-9 or hour == self.last_update
        before = hour - self.step_hours
        stale = self.frozen(before) or self.manipulated(before)
        if due or stale or (p.deviation > 0 and moved >= p.deviation):
            self.price = reference
            self.last_update = hour
        return self.price
