"""Mesa agents: they decide, and act only through the exchange and governance APIs."""

from .liquidators import Liquidator, LiquidatorParams
from .lps import LiquidityProvider, LPParams
from .traders import STYLES, Trader, TraderParams

__all__ = [
    "STYLES",
    "LPParams",
    "Liquidator",
    "LiquidatorParams",
    "LiquidityProvider",
    "Trader",
    "TraderParams",
]
