"""The loss waterfall: who pays for a shortfall, in a configurable order.

A shortfall is what a closed position still owes the LP vault after its margin is gone.
Stages, each recording what it absorbed:

* ``insurance_fund``: the fund pays the vault (up to `fund_cover_cap` per event).
* ``lp_vault``: the vault writes the debt off while its NAV stays above
  `vault_floor` × open interest.
* ``adl``: the most profitable opposing positions, ranked as configured (BitMEX's
  PnL% × effective leverage by default), are closed at the bankrupt position's
  bankruptcy price; the profit they give up covers the debt.
* ``socialized``: every open position pays a pro-rata haircut by size (Drift's
  cumulative-funding socialisation).

Whatever is left halts trading for `halt_steps` steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import risk

if TYPE_CHECKING:
    from .exchange import Exchange


@dataclass
class Shortfall:
    slot: int
    side: int
    bankruptcy_price: float
    amount: float
    absorbed: dict[str, float] = field(default_factory=dict)

    @property
    def remaining(self) -> float:
        return self.amount - sum(self.absorbed.values())


def resolve(ex: Exchange, sf: Shortfall) -> Shortfall:
    """Run `sf` down the exchange's waterfall and book every stage's share."""
    stages = {
        "insurance_fund": _fund,
        "lp_vault": _vault,
        "adl": _adl,
        "socialized": _socialize,
    }
    for name in ex.params.waterfall:
        left = sf.remaining
        if left <= 1e-12 * max(1.0, sf.amount):
            break
        got = float(stages[name](ex, sf, left))
        if got > 0:
            sf.absorbed[name] = got
    left = sf.remaining
    if left > 1e-9 * max(1.0, sf.amount):
        ex.halt(left)
    return sf


def _fund(ex: Exchange, sf: Shortfall, left: float) -> float:
    return ex.fund.cover(ex.vault.id, left, cap=ex.params.fund_cover_cap)


def _vault(ex: Exchange, sf: Shortfall, left: float) -> float:
    nav = ex.vault_nav()
    room = nav - ex.params.vault_floor * ex.open_interest()
    return min(left, max(0.0, room))


def _adl(ex: Exchange, sf: Shortfall, left: float) -> float:
    mark = ex.mark
    gap = sf.side * (sf.bankruptcy_price - mark)
    if not gap > 0:
        return 0.0
    book = ex.book
    size, entry = book.size, book.entry
    opp = np.flatnonzero(np.sign(size) == -sf.side)
    gain_at_bk = -sf.side * (sf.bankruptcy_price - entry[opp]) * np.abs(size[opp])
    opp = opp[(-sf.side * (mark - entry[opp]) > 0) & (gain_at_bk > 0)]
    if opp.size == 0:
        return 0.0
    scores = risk.adl_score(size[opp], entry[opp], book.margin[opp], mark, ex.params.adl_ranking)
    absorbed = 0.0
    for j in opp[np.argsort(-scores, kind="stable")]:
        need = (left - absorbed) / gap
        if need <= 0:
            break
        whole = abs(size[j])
        q = min(whole, need) * np.sign(size[j])
        keep = book.margin[j] * (1.0 - abs(q) / whole)
        ex.settle_many(
            np.array([j]), np.array([q]), np.array([sf.bankruptcy_price]), keep=np.array([keep])
        )
        absorbed += abs(q) * gap
        book.adl_hits[j] += 1
        ex.stats.adl_volume += abs(q) * sf.bankruptcy_price
        ex.record(
            "adl",
            slot=int(j),
            size=float(abs(q)),
            price=float(sf.bankruptcy_price),
            covered=float(abs(q) * gap),
        )
    return min(absorbed, left)


def _socialize(ex: Exchange, sf: Shortfall, left: float) -> float:
    book = ex.book
    slots = book.open_slots()
    if slots.size == 0:
        return 0.0
    weight = np.abs(book.size[slots])
    charge = np.minimum(left * weight / weight.sum(), book.margin[slots])
    got = ex.ledger.collect(book.margin_ids[slots], ex.vault.id, charge)
    book.socialized_hits[slots[charge > 0]] += 1
    ex.record("socialized", amount=float(got), positions=int(slots.size))
    return got
