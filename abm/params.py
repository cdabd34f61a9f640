"""The model's flat keywords that no parameter object holds, and their defaults.

Apart from `abm.model`, so that the scenario schema reads them without importing Mesa.
"""

from __future__ import annotations

from typing import Any

from .exchange.ranges import Range

DEFAULTS: dict[str, Any] = {
    "n_traders": 500,
    "initial_fund": 250_000.0,
    "treasury": 2_000_000.0,
    "shock_size": 0.0,
    "shock_hour": 300.0,
    "agent_sample_period": 10,
}
"""Values used when neither a keyword nor a scenario sets them."""

RANGES: dict[str, Range] = {
    "n_traders": Range.parse("[0, 1e7]", whole=True),
    "initial_fund": Range.parse("[0, 1e15]"),
    "treasury": Range.parse("[0, 1e15]"),
    "shock_size": Range.parse("[0, 1)"),
    "shock_hour": Range.parse("[0, 1e9]"),
    "agent_sample_period": Range.parse("[0, 1e9]", whole=True),
}
"""Their allowed values, read by the model's constructor and by the scenario schema."""
