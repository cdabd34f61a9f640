"""Mesa agents: they decide, and act only through the exchange and governance APIs.

Names load on first use, so that `abm.agents.params` (what a scenario sets) can be read
without importing Mesa.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "liquidators": ["Liquidator"],
        "lps": ["LiquidityProvider"],
        "params": ["STYLES", "LPParams", "LiquidatorParams", "TraderParams"],
        "traders": ["Trader"],
        "voters": ["RiskSteward", "Voter", "create_governance_agents", "step_governance"],
    },
)
