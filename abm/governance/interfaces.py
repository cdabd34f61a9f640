"""What governance needs from the exchange, stated as protocols.

`abm.exchange.Exchange` (one market) and `abm.exchange.markets.Markets` (a venue of
several, read as a whole) satisfy them; tests use a small fake. Keeping governance to
this surface means it never reaches into the exchange's internals.
"""

from __future__ import annotations

from typing import Protocol

from ..exchange.ledger import Ledger
from ..exchange.params import ExchangeParams


class FundHealthLike(Protocol):
    balance: float
    fund_to_oi: float
    fund_to_tvl: float
    drawdown: float
    depleted: bool


class ExchangeLike(Protocol):
    params: ExchangeParams
    ledger: Ledger
    events: list[dict]
    step: int

    def set_param(self, name: str, value: float) -> None: ...

    def inject_from_treasury(self, amount: float) -> float: ...

    def fund_health(self) -> FundHealthLike: ...

    def record(self, kind: str, **data: object) -> None: ...


TREASURY_ACCOUNT = "treasury"
