"""The protocol: ledger, position book, risk formulas, liquidations, waterfall, fund, market.

Plain Python and numpy; nothing here knows about Mesa or the agents that use it.
"""

from .book import PositionBook
from .exchange import Exchange, Liquidation, LiquidationQueue, Stats
from .fund import FundHealth, InsuranceFund, target_ratio
from .ledger import Ledger, LedgerError
from .market import FlashCrash, Market, MarketParams, Trend, load_price_csv
from .oracle import Oracle, OracleParams
from .params import ADL_RANKINGS, WATERFALL_STAGES, ExchangeParams, check_range
from .vault import LPVault
from .waterfall import Shortfall

__all__ = [
    "ADL_RANKINGS",
    "WATERFALL_STAGES",
    "Exchange",
    "ExchangeParams",
    "FlashCrash",
    "FundHealth",
    "InsuranceFund",
    "LPVault",
    "Ledger",
    "LedgerError",
    "Liquidation",
    "LiquidationQueue",
    "Market",
    "MarketParams",
    "Oracle",
    "OracleParams",
    "PositionBook",
    "Shortfall",
    "Stats",
    "Trend",
    "check_range",
    "load_price_csv",
    "target_ratio",
]
