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


def _nudge(value: float, delta: float, lo: float, hi: float) -> float | None:
    """`value + delta` kept in [lo, hi] and rounded to 1e-6 (so proposals read 0.01, not
    0.009999999999999998); None if that changes nothing."""
    new = min(hi, max(lo, round(value + delta, 6)))
    return None if abs(new - value) < 1e-9 else new


def _fee_split(fund: float | None, treasury: float) -> SetFeeShares | None:
    """Fee shares with `fund` to the fund, the treasury's share kept, LPs the rest."""
    if fund is None:
        return None
    return SetFeeShares(fund, round(max(0.0, 1.0 - fund - treasury), 6), treasury)


def _raise_measures(
    health: FundHealthLike, params: ExchangeParams, treasury: float
) -> list[Proposal | None]:
    split = _nudge(params.penalty_fund_share, SHARE_STEP, 0.0, 1.0)
    rate = _nudge(params.penalty_rate, PENALTY_STEP, 0.0, max(PENALTY_MAX, params.penalty_rate))
    fee = _nudge(params.fund_fee_share, SHARE_STEP, 0.0, 1.0 - params.treasury_fee_share)
    amount = injection_size(health, params.fund_target, treasury)
    return [
        None if split is None else SetPenaltySplit(split),
        None if rate is None else SetPenaltyRate(rate),
        _fee_split(fee, params.treasury_fee_share),
        InjectFromTreasury(amount) if amount > 0 else None,
    ]


def _cut_measures(params: ExchangeParams) -> list[Proposal | None]:
    rate = _nudge(params.penalty_rate, -PENALTY_STEP, min(PENALTY_MIN, params.penalty_rate), 1.0)
    fee = _nudge(params.fund_fee_share, -SHARE_STEP, 0.0, 1.0)
    return [
        None if rate is None else SetPenaltyRate(rate),
        _fee_split(fee, params.treasury_fee_share),
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
