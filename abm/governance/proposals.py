"""What a proposal can do, with its payload validated when it is created.

Each kind is a frozen dataclass: `__post_init__` rejects an out-of-range payload with a
message naming the field and its range; `check(params)` rejects one that clashes with the
exchange's current parameters; `execute(exchange)` applies it; `effect(params)` tells
voters which way it pushes the fund, traders' costs, LPs' income and the treasury.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from ..exchange.params import ExchangeParams, check_range
from .interfaces import TREASURY_ACCOUNT, ExchangeLike


@dataclass(frozen=True)
class Effect:
    """Signs (-1, 0, +1) of what a proposal changes, as voters see it."""

    fund: int = 0
    trader_cost: int = 0
    lp_income: int = 0
    treasury: int = 0
    hostile: bool = False


def _sign(new: float, old: float) -> int:
    if math.isclose(new, old, rel_tol=1e-12, abs_tol=1e-15):
        return 0
    return 1 if new > old else -1


class Proposal(ABC):
    """One action the governor can queue and execute."""

    kind: ClassVar[str]

    def check(self, params: ExchangeParams) -> None:
        """Raise ValueError if the proposal cannot apply to these parameters (default: it can)."""
        return None

    @abstractmethod
    def execute(self, exchange: ExchangeLike) -> float:
        """Apply the proposal; returns the stablecoins it moved (0 for parameter changes)."""

    @abstractmethod
    def effect(self, params: ExchangeParams) -> Effect: ...

    @abstractmethod
    def describe(self) -> str: ...


class ParamChange(Proposal):
    """A proposal that sets exchange parameters, all or none."""

    @abstractmethod
    def changes(self) -> dict[str, float]: ...

    def check(self, params: ExchangeParams) -> None:
        params.updated(**self.changes())

    def execute(self, exchange: ExchangeLike) -> float:
        """Validate the whole change first, then apply what changes, decreases first.

        The order keeps every intermediate parameter set valid (fee shares never sum
        above one on the way).
        """
        current = exchange.params
        current.updated(**self.changes())
        changes = {n: v for n, v in self.changes().items() if v != getattr(current, n)}
        for name in sorted(changes, key=lambda n: changes[n] - getattr(current, n)):
            exchange.set_param(name, changes[name])
        return 0.0


@dataclass(frozen=True)
class SetPenaltyRate(ParamChange):
    rate: float
    kind: ClassVar[str] = "set_penalty_rate"

    def __post_init__(self) -> None:
        check_range("rate", self.rate, 0.0, 0.5)

    def changes(self) -> dict[str, float]:
        return {"penalty_rate": self.rate}

    def effect(self, params: ExchangeParams) -> Effect:
        d = _sign(self.rate, params.penalty_rate)
        return Effect(fund=d, trader_cost=d)

    def describe(self) -> str:
        return f"set liquidation penalty to {self.rate:.2%}"


@dataclass(frozen=True)
class SetPenaltySplit(ParamChange):
    fund_share: float
    kind: ClassVar[str] = "set_penalty_split"

    def __post_init__(self) -> None:
        check_range("fund_share", self.fund_share, 0.0, 1.0)

    def changes(self) -> dict[str, float]:
        return {"penalty_fund_share": self.fund_share}

    def effect(self, params: ExchangeParams) -> Effect:
        return Effect(fund=_sign(self.fund_share, params.penalty_fund_share))

    def describe(self) -> str:
        return f"send {self.fund_share:.0%} of liquidation penalties to the fund"


def max_fund_fee_share(treasury: float) -> float:
    """The largest fund fee share that leaves LPs a share of at least zero.

    The exchange computes the LPs' share as `1 - fund - treasury` in floating point, where
    0.9 and 0.1 leave -2.8e-17; the cap steps down from `1 - treasury` one float at a time
    until that share is not negative.
    """
    cap = 1.0 - treasury
    while cap > 0.0 and 1.0 - cap - treasury < 0.0:
        cap = math.nextafter(cap, 0.0)
    return max(cap, 0.0)


@dataclass(frozen=True)
class SetFeeShares(ParamChange):
    """Split of trading fees between the fund, the LP vault and the treasury.

    Applied, the fund's share is capped by `max_fund_fee_share` (a few ulps at most), so
    a split such as 90/0/10 never leaves LPs a negative share by rounding.
    """

    fund: float
    lp: float
    treasury: float
    kind: ClassVar[str] = "set_fee_shares"

    def __post_init__(self) -> None:
        for name in ("fund", "lp", "treasury"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        total = self.fund + self.lp + self.treasury
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"fund + lp + treasury must sum to 1, got {total:g}")

    def changes(self) -> dict[str, float]:
        fund = min(self.fund, max_fund_fee_share(self.treasury))
        return {"fund_fee_share": fund, "treasury_fee_share": self.treasury}

    def effect(self, params: ExchangeParams) -> Effect:
        return Effect(
            fund=_sign(self.fund, params.fund_fee_share),
            lp_income=_sign(self.lp, params.lp_fee_share),
            treasury=_sign(self.treasury, params.treasury_fee_share),
        )

    def describe(self) -> str:
        return f"split fees {self.fund:.0%} fund / {self.lp:.0%} LPs / {self.treasury:.0%} treasury"


@dataclass(frozen=True)
class SetFundTarget(ParamChange):
    """The fund size the protocol aims for, as a ratio of open interest."""

    ratio: float
    kind: ClassVar[str] = "set_fund_target"

    def __post_init__(self) -> None:
        check_range("ratio", self.ratio, 0.0, 10.0)

    def changes(self) -> dict[str, float]:
        return {"fund_target": self.ratio}

    def effect(self, params: ExchangeParams) -> Effect:
        return Effect(fund=_sign(self.ratio, params.fund_target))

    def describe(self) -> str:
        return f"set the fund target to {self.ratio:.1%} of open interest"


@dataclass(frozen=True)
class SetMaxLeverage(ParamChange):
    """Maximum leverage 1/initial_margin; it must keep initial above maintenance margin."""

    leverage: float
    kind: ClassVar[str] = "set_max_leverage"

    def __post_init__(self) -> None:
        check_range("leverage", self.leverage, 1.0, math.inf, hi_open=True)

    def changes(self) -> dict[str, float]:
        return {"initial_margin": 1.0 / self.leverage}

    def check(self, params: ExchangeParams) -> None:
        if 1.0 / self.leverage <= params.maintenance_margin:
            raise ValueError(
                f"leverage must be below {1.0 / params.maintenance_margin:g} "
                f"(1 / maintenance_margin), got {self.leverage!r}"
            )

    def effect(self, params: ExchangeParams) -> Effect:
        d = _sign(self.leverage, params.max_leverage)
        return Effect(fund=-d, trader_cost=-d)

    def describe(self) -> str:
        return f"set maximum leverage to {self.leverage:g}x"


@dataclass(frozen=True)
class InjectFromTreasury(Proposal):
    """Move treasury stablecoins into the insurance fund (up to what the treasury holds)."""

    amount: float
    kind: ClassVar[str] = "inject_from_treasury"

    def __post_init__(self) -> None:
        check_range("amount", self.amount, 0.0, math.inf, lo_open=True, hi_open=True)

    def execute(self, exchange: ExchangeLike) -> float:
        return exchange.inject_from_treasury(self.amount)

    def effect(self, params: ExchangeParams) -> Effect:
        return Effect(fund=1, treasury=-1)

    def describe(self) -> str:
        return f"inject {self.amount:,.0f} from the treasury into the fund"


@dataclass(frozen=True)
class TreasuryTransfer(Proposal):
    """Send treasury stablecoins to an outside account: the attacker's payload."""

    to_account: str
    amount: float
    kind: ClassVar[str] = "treasury_transfer"

    def __post_init__(self) -> None:
        if not isinstance(self.to_account, str) or not self.to_account:
            raise ValueError(f"to_account must be a ledger account name, got {self.to_account!r}")
        if self.to_account == TREASURY_ACCOUNT:
            raise ValueError("to_account must differ from the treasury")
        check_range("amount", self.amount, 0.0, math.inf, lo_open=True, hi_open=True)

    def execute(self, exchange: ExchangeLike) -> float:
        ledger = exchange.ledger
        moved = ledger.transfer(
            TREASURY_ACCOUNT, self.to_account, min(self.amount, ledger.balance(TREASURY_ACCOUNT))
        )
        exchange.record("treasury_transfer", to_account=self.to_account, amount=moved)
        return moved

    def effect(self, params: ExchangeParams) -> Effect:
        return Effect(treasury=-1, hostile=True)

    def describe(self) -> str:
        return f"transfer {self.amount:,.0f} from the treasury to {self.to_account}"
