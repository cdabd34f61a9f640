"""A fake exchange that honours exactly the contract governance relies on.

It uses the real Ledger and the real ExchangeParams, so money conservation and parameter
validation are the real ones.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from abm.exchange.ledger import Ledger
from abm.exchange.params import ExchangeParams
from abm.governance import Governor


@dataclass(frozen=True)
class Health:
    balance: float
    fund_to_oi: float
    fund_to_tvl: float
    drawdown: float
    depleted: bool


class FakeExchange:
    def __init__(
        self,
        *,
        treasury: float = 1_000_000.0,
        fund: float = 50_000.0,
        open_interest: float = 1_000_000.0,
        params: ExchangeParams | None = None,
    ) -> None:
        self.params = params or ExchangeParams()
        self.ledger = Ledger()
        self.ledger.open("treasury")
        self.ledger.open("insurance_fund")
        self.ledger.deposit("treasury", treasury, source="treasury_seed")
        self.ledger.deposit("insurance_fund", fund, source="fund_seed")
        self.open_interest = open_interest
        self.fund_inflows: dict[str, float] = defaultdict(float)
        self.events: list[dict] = []
        self.step = 0

    def set_param(self, name: str, value) -> None:
        if name not in ExchangeParams.GOVERNABLE:
            raise ValueError(f"{name!r} is not governable")
        self.params = self.params.updated(**{name: value})
        self.record("param_change", name=name, new=value)

    def inject_from_treasury(self, amount: float) -> float:
        amount = min(amount, self.ledger.balance("treasury"))
        if amount <= 0:
            return 0.0
        moved = self.ledger.transfer("treasury", "insurance_fund", amount)
        self.fund_inflows["injection"] += moved
        self.record("injection", amount=moved)
        return moved

    def fund_health(self) -> Health:
        bal = self.ledger.balance("insurance_fund")
        oi = self.open_interest
        return Health(
            balance=bal,
            fund_to_oi=bal / oi if oi > 0 else math.inf,
            fund_to_tvl=bal / (bal + oi) if bal + oi > 0 else 0.0,
            drawdown=0.0,
            depleted=bal < 1.0,
        )

    def record(self, kind: str, **data) -> None:
        self.events.append({"step": self.step, "kind": kind, **data})

    # -- test helpers -------------------------------------------------------------------
    def set_fund(self, balance: float) -> None:
        """Move the fund to `balance` through external flows, keeping the ledger whole."""
        diff = balance - self.ledger.balance("insurance_fund")
        if diff > 0:
            self.ledger.deposit("insurance_fund", diff, source="test")
        elif diff < 0:
            self.ledger.withdraw("insurance_fund", -diff, sink="test")

    def proposal_states(self, pid: int) -> list[str]:
        return [e["state"] for e in self.events if e["kind"] == "proposal" and e["id"] == pid]


# Supply 1000: quorum (4%) is exactly 40 votes; holder 0 has 40, holder 1 has 39.
BALANCES = [40.0, 39.0, 100.0, 100.0, 200.0, 521.0]
WHALE = 5


def advance(governor: Governor, exchange: FakeExchange, start: int, stop: int) -> None:
    """Run the governor's end-of-step for every step in [start, stop]."""
    for step in range(start, stop + 1):
        exchange.step = step
        governor.advance(step, exchange)
