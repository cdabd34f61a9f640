"""The risk steward's policy: which proposal, if any, fund health calls for.

Below `low_band × fund_target` (fund / open interest) it proposes measures that raise
fund inflow, one per round in turn: a larger share of penalties, a higher penalty, a
larger share of trading fees, a treasury injection sized to close part of the gap. Above
`high_band × fund_target` it proposes the opposite: a lower penalty, fees back to LPs.
A measure already at its limit is skipped. A depleted fund always gets an injection.
"""

from __future__ import annotations

import math

from ..exchange.params import ExchangeParams
from .interfaces import FundHealthLike
from .proposals import (
    InjectFromTreasury,
    Proposal,
    SetFeeShares,
    SetPenaltyRate,
    SetPenaltySplit,
)

PENALTY_STEP = 0.005
PENALTY_MIN = 0.005
PENALTY_MAX = 0.03
SHARE_STEP = 0.1
GAP_CLOSED = 0.5
TREASURY_CAP = 0.25


def injection_size(health: FundHealthLike, target: float, treasury: float) -> float:
    """Half the gap to the target, at most a quarter of the treasury.

    Open interest is read back from the fund-to-OI ratio; with an empty fund that is
    impossible, so the injection is then the treasury cap alone.
    """
    cap = TREASURY_CAP * treasury
    if health.balance > 0 and 0 < health.fund_to_oi < math.inf:
        gap = (target - health.fund_to_oi) * health.balance / health.fund_to_oi
        return min(cap, GAP_CLOSED * max(gap, 0.0))
    return cap


def _fee_split(fund: float, treasury: float) -> SetFeeShares:
    """Fee shares with `fund` to the fund, the treasury's share kept, LPs the rest."""
    return SetFeeShares(fund, max(0.0, 1.0 - fund - treasury), treasury)


def _raise_measures(
    health: FundHealthLike, params: ExchangeParams, treasury: float
) -> list[Proposal | None]:
    lp = params.lp_fee_share
    fund_fee = min(params.fund_fee_share + SHARE_STEP, params.fund_fee_share + lp)
    amount = injection_size(health, params.fund_target, treasury)
    return [
        SetPenaltySplit(min(1.0, params.penalty_fund_share + SHARE_STEP))
        if params.penalty_fund_share < 1.0
        else None,
        SetPenaltyRate(min(PENALTY_MAX, params.penalty_rate + PENALTY_STEP))
        if params.penalty_rate < PENALTY_MAX
        else None,
        _fee_split(fund_fee, params.treasury_fee_share) if lp > 1e-12 else None,
        InjectFromTreasury(amount) if amount > 0 else None,
    ]


def _cut_measures(params: ExchangeParams) -> list[Proposal | None]:
    fund_fee = max(0.0, params.fund_fee_share - SHARE_STEP)
    return [
        SetPenaltyRate(max(PENALTY_MIN, params.penalty_rate - PENALTY_STEP))
        if params.penalty_rate > PENALTY_MIN
        else None,
        _fee_split(fund_fee, params.treasury_fee_share) if params.fund_fee_share > 0 else None,
    ]


def _pick(measures: list[Proposal | None], round_: int) -> Proposal | None:
    """The first available measure starting from this round's turn in the cycle."""
    n = len(measures)
    for k in range(n):
        measure = measures[(round_ + k) % n]
        if measure is not None:
            return measure
    return None


def steward_proposal(
    health: FundHealthLike,
    params: ExchangeParams,
    treasury: float,
    *,
    low_band: float,
    high_band: float,
    round_: int,
) -> Proposal | None:
    """The proposal fund health calls for in this round, or None inside the bands.

    No open interest (an infinite ratio) is no signal either way."""
    if health.depleted:
        amount = injection_size(health, params.fund_target, treasury)
        return InjectFromTreasury(amount) if amount > 0 else None
    ratio, target = health.fund_to_oi, params.fund_target
    if not math.isfinite(ratio) or target <= 0:
        return None
    if ratio < low_band * target:
        return _pick(_raise_measures(health, params, treasury), round_)
    if ratio > high_band * target:
        return _pick(_cut_measures(params), round_)
    return None
