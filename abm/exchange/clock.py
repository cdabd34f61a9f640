"""Real time for a model that moves in steps.

Every rate and duration in the parameters is in real units (per hour, hours, per year);
`Clock` turns them into per-step quantities for one step length, so the same market
run at one-hour or one-minute steps is the same market. At one-hour steps every
conversion is the identity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HOURS_PER_YEAR = 24 * 365


@dataclass(frozen=True)
class Clock:
    step_hours: float = 1.0

    def steps(self, hours: float, minimum: int = 1) -> int:
        """A duration in whole steps (rounded, at least `minimum`)."""
        return max(minimum, round(hours / self.step_hours))

    def chance(self, per_hour: float) -> float:
        """The chance per step of an event whose chance per hour is `per_hour`."""
        if per_hour >= 1.0:
            return 1.0
        return -math.expm1(self.step_hours * math.log1p(-per_hour))

    def amount(self, per_hour: float) -> float:
        """A flow per hour (fees, arrivals) as a flow per step."""
        return per_hour * self.step_hours

    def hours(self, step: int) -> float:
        """The time of step `step` in hours since the start."""
        return step * self.step_hours
