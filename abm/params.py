"""The model's flat keywords that no parameter object holds, and their defaults.

Apart from `abm.model`, so that the scenario schema reads them without importing Mesa.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "n_traders": 500,
    "initial_fund": 250_000.0,
    "treasury": 2_000_000.0,
    "shock_size": 0.0,
    "shock_hour": 300.0,
    "agent_sample_period": 10,
}
"""Values used when neither a keyword nor a scenario sets them."""
