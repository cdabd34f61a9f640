"""The insurance fund: a ledger account with its inflows and outflows kept apart by source."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from .ledger import Ledger

INFLOW_SOURCES = ("penalty", "trading_fee", "borrow_fee", "seed", "injection")


@dataclass(frozen=True)
class FundHealth:
    """The three ways the fund is watched: absolute, against exposure, against its peak."""

    balance: float
    fund_to_oi: float
    fund_to_tvl: float
    drawdown: float
    depleted: bool


def target_ratio(health: FundHealth, basis: str) -> float:
    """The fund against the base its target is set on: fund / OI or fund / TVL."""
    return health.fund_to_tvl if basis == "tvl" else health.fund_to_oi


class InsuranceFund:
    ACCOUNT = "insurance_fund"

    def __init__(
        self,
        ledger: Ledger,
        depleted_below: float = 1.0,
        *,
        name: str = ACCOUNT,
        account: int | None = None,
    ) -> None:
        self.ledger = ledger
        self.id = ledger.open(name) if account is None else account
        self.inflows: dict[str, float] = defaultdict(float)
        self.outflows: dict[str, float] = defaultdict(float)
        self.peak = 0.0
        self.depleted_below = depleted_below

    @property
    def balance(self) -> float:
        return self.ledger.balance(self.id)

    def share(self) -> InsuranceFund:
        """A view of this fund's account that counts its own inflows and payouts: one
        market's part of a fund shared by several."""
        return InsuranceFund(self.ledger, self.depleted_below, account=self.id)

    def seed(self, amount: float) -> None:
        self.ledger.deposit(self.id, amount, source="fund_seed")
        self.note_inflow("seed", amount)

    def note_inflow(self, source: str, amount: float) -> None:
        """Book an inflow that has already moved through the ledger."""
        if source not in INFLOW_SOURCES:
            raise ValueError(f"unknown fund inflow source {source!r}")
        self.inflows[source] += amount

    def cover(self, dst: int, amount: float, cap: float = math.inf) -> float:
        """Pay up to `amount` (and `cap`) of bad debt to `dst`; returns what was paid."""
        paid = min(amount, self.balance, cap)
        if paid <= 0:
            return 0.0
        paid = self.ledger.transfer(self.id, dst, paid)
        self.outflows["bad_debt"] += paid
        return paid

    def health(self, open_interest: float, tvl: float) -> FundHealth:
        bal = self.balance
        self.peak = max(self.peak, bal)
        return health_of(bal, self.peak, open_interest, tvl, self.depleted_below)


def health_of(
    balance: float, peak: float, open_interest: float, tvl: float, depleted_below: float = 1.0
) -> FundHealth:
    """A fund's (or several funds') health from its balance and its peak so far."""
    return FundHealth(
        balance=balance,
        fund_to_oi=balance / open_interest if open_interest > 0 else math.inf,
        fund_to_tvl=balance / tvl if tvl > 0 else 0.0,
        drawdown=1.0 - balance / peak if peak > 0 else 0.0,
        depleted=balance < depleted_below,
    )
