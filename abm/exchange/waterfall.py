"""The loss waterfall: who pays for a shortfall, in a configurable order.

A shortfall is what a closed position still owes the LP vault after its margin is gone, or
a winner's profit that the vault could not pay. Stages, each recording what it absorbed:

* ``insurance_fund``: the fund pays (up to `fund_cover_cap` per event and
  `fund_cover_cap_total` over the run, as dYdX's per-block and Drift's per-market caps).
* ``lp_vault``: the vault writes the debt off while its NAV stays above
  `vault_floor` × open interest.
* ``adl``: the bankrupt position's size is taken over by ranked opposing positions at the
  bankruptcy price (or the mark): never more than that size (deleveraging.py).
* ``socialized``: every open position pays a pro-rata haircut by size at once.
* ``socialized_funding``: as Drift, the loss is added to the market's cumulative funding:
  every open position owes its share by size and pays it when it next settles.

What the stages leave halts trading for `halt_hours`. The LP vault then bears it as
far as its NAV goes (counted in `lp_loss`); the rest is outstanding (`unresolved`). A
winner's unpaid profit can only be paid by the fund; the rest is outstanding too.
Every stage's share adds up to the amount, and the exchange adds them in exact sums
(`exact.py`), so ``fund + lp + adl + socialized + socialized_funding + unresolved ==
bad debt`` holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

DUST = 1e-9
"""Residuals below this (in quote units) do not halt trading; they are still booked."""


@dataclass
class Shortfall:
    """A loss nobody has paid yet.

    For a bankrupt close: the side, bankruptcy price, closed size and fill price of the
    position. `kind` is ``"unpaid_profit"`` when the vault could not pay a winner.
    """

    slot: int
    side: int
    bankruptcy_price: float
    amount: float
    size: float = 0.0
    fill_price: float = 0.0
    kind: str = "shortfall"
    absorbed: dict[str, float] = field(default_factory=dict)

    @property
    def remaining(self) -> float:
        return self.amount - sum(self.absorbed.values())


class LossBearers(Protocol):
    """What the waterfall needs from the venue: one method per stage."""

    def fund_pays(self, sf: Shortfall, amount: float) -> float: ...

    def vault_room(self) -> float: ...

    def deleverage(self, sf: Shortfall, amount: float) -> float: ...

    def socialize(self, sf: Shortfall, amount: float) -> float: ...

    def socialize_through_funding(self, sf: Shortfall, amount: float) -> float: ...

    def vault_nav(self) -> float: ...


def resolve(venue: LossBearers, sf: Shortfall, order: tuple[str, ...]) -> float:
    """Run `sf` down the stages in `order`; return what is left to halt trading for."""
    stages = {
        "insurance_fund": venue.fund_pays,
        "lp_vault": lambda s, left: min(left, venue.vault_room()),
        "adl": venue.deleverage,
        "socialized": venue.socialize,
        "socialized_funding": venue.socialize_through_funding,
    }
    if sf.kind == "unpaid_profit":
        order = tuple(s for s in order if s == "insurance_fund")
    for name in order:
        left = sf.remaining
        if left <= 0:
            break
        got = min(float(stages[name](sf, left)), left)
        if got > 0:
            sf.absorbed[name] = sf.absorbed.get(name, 0.0) + got
    left = max(sf.remaining, 0.0)
    if left > 0 and sf.kind == "shortfall":
        borne = min(left, max(venue.vault_nav(), 0.0))
        if borne > 0:
            sf.absorbed["lp_vault"] = sf.absorbed.get("lp_vault", 0.0) + borne
    unresolved = max(sf.remaining, 0.0)
    if unresolved > 0:
        sf.absorbed["unresolved"] = unresolved
    return left
