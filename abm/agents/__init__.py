"""Mesa agents: they decide, and act only through the exchange and governance APIs."""

from .liquidators import Liquidator, LiquidatorParams
from .lps import LiquidityProvider, LPParams
from .traders import STYLES, Trader, TraderParams
from .voters import RiskSteward, Voter, create_governance_agents, step_governance

__all__ = [
    "STYLES",
    "LPParams",
    "Liquidator",
    "LiquidatorParams",
    "LiquidityProvider",
    "RiskSteward",
    "Trader",
    "TraderParams",
    "Voter",
    "create_governance_agents",
    "step_governance",
]
