"""The risk steward's policy: which proposal, if any, fund health calls for.

The steward works in both directions around a band of the fund against its target's base
(`fund_target_basis`: open interest, or total value locked). Below
`low_band × fund_target` it proposes measures that raise fund inflow, one per round in
turn: a larger share of penalties, a higher penalty, a larger share of trading fees, a
treasury injection sized to close part of the gap. Above `high_band × fund_target` it
hands inflow back: a lower penalty, fees back to LPs, a smaller share of penalties (back
to the liquidators). Inside the band it proposes nothing, so a fund near its target is
left alone rather than nudged to and fro. Each measure moves within its own band
(penalty rate in [PENALTY_MIN, PENALTY_MAX], the fund's share of penalties in
[SPLIT_MIN, SPLIT_MAX]); a measure already at its limit is skipped. A depleted fund
always gets an injection. (Waiting for the signal to persist is the steward agent's
job, see `fund_signal`.)

Fee shares are proposed so that the LPs' share, `1 - fund - treasury`, is never below
zero as the exchange computes it in floating point (`max_fund_fee_share`), and the LPs'
share in a proposal is exactly what the other two leave, whatever their decimals.
"""

from __future__ import annotations

import math

from ..exchange.fund import target_ratio
from ..exchange.params import ExchangeParams
from .interfaces import FundHealthLike
from .proposals import (
    InjectFromTreasury,
    Proposal,
    SetFeeShares,
    SetPenaltyRate,
    SetPenaltySplit,
    max_fund_fee_share,
)

PENALTY_STEP = 0.005
PENALTY_MIN = 0.005
PENALTY_MAX = 0.03
SHARE_STEP = 0.1
SPLIT_MIN = 0.25
"""The fund keeps at least a quarter of every penalty when the steward hands shares back."""
SPLIT_MAX = 1.0
GAP_CLOSED = 0.5
TREASURY_CAP = 0.25


def implied_base(health: FundHealthLike, basis: str = "open_interest") -> float | None:
    """The target's base (open interest or TVL) read back from the fund's ratio to it;
    None when the fund is empty."""
    ratio = target_ratio(health, basis)
    if health.balance > 0 and 0 < ratio < math.inf:
        return health.balance / ratio
    return None


def injection_size(
    health: FundHealthLike,
    target: float,
    treasury: float,
    base: float | None = None,
    basis: str = "open_interest",
) -> float:
    """Half the gap to the target, at most a quarter of the treasury.

    The base (open interest or TVL, per `basis`) comes from the health ratios, or else
    from `base` (the last value the caller could infer); with neither, the injection is
    the treasury cap alone.
    """
    cap = TREASURY_CAP * treasury
    known = implied_base(health, basis) or base
    if known is None:
        return cap
    gap = target * known - health.balance
    return min(cap, GAP_CLOSED * max(gap, 0.0))


def _nudge(value: float, delta: float, lo: float, hi: float) -> float | None:
    """`value + delta` kept in [lo, hi] and rounded to 1e-6 (so proposals read 0.01, not
    0.009999999999999998); None if that changes nothing."""
    new = min(hi, max(lo, round(value + delta, 6)))
    return None if abs(new - value) < 1e-9 else new


def _fee_split(fund: float | None, treasury: float) -> SetFeeShares | None:
    """Fee shares with `fund` to the fund, the treasury's share kept, LPs the rest."""
    if fund is None:
        return None
    fund = min(fund, max_fund_fee_share(treasury))
    return SetFeeShares(fund, 1.0 - fund - treasury, treasury)


def _raise_measures(
    health: FundHealthLike, params: ExchangeParams, treasury: float, base: float | None
) -> list[Proposal | None]:
    split = _nudge(params.penalty_fund_share, SHARE_STEP, 0.0, SPLIT_MAX)
    rate = _nudge(params.penalty_rate, PENALTY_STEP, 0.0, max(PENALTY_MAX, params.penalty_rate))
    fee_cap = max_fund_fee_share(params.treasury_fee_share)
    fee = _nudge(params.fund_fee_share, SHARE_STEP, 0.0, fee_cap)
    amount = injection_size(health, params.fund_target, treasury, base, params.fund_target_basis)
    return [
        None if split is None else SetPenaltySplit(split),
        None if rate is None else SetPenaltyRate(rate),
        _fee_split(fee, params.treasury_fee_share),
        InjectFromTreasury(amount) if amount > 0 else None,
    ]


def _cut_measures(params: ExchangeParams) -> list[Proposal | None]:
    rate = _nudge(params.penalty_rate, -PENALTY_STEP, min(PENALTY_MIN, params.penalty_rate), 1.0)
    fee = _nudge(params.fund_fee_share, -SHARE_STEP, 0.0, 1.0)
    split = _nudge(
        params.penalty_fund_share, -SHARE_STEP, min(SPLIT_MIN, params.penalty_fund_share), 1.0
    )
    return [
        None if rate is None else SetPenaltyRate(rate),
        _fee_split(fee, params.treasury_fee_share),
        None if split is None else SetPenaltySplit(split),
    ]


def _pick(measures: list[Proposal | None], round_: int) -> Proposal | None:
    """The first available measure starting from this round's turn in the cycle."""
    n = len(measures)
    for k in range(n):
        measure = measures[(round_ + k) % n]
        if measure is not None:
            return measure
    return None


def fund_signal(
    health: FundHealthLike,
    target: float,
    low_band: float,
    high_band: float,
    basis: str = "open_interest",
) -> int:
    """+1 below the band (raise inflow), -1 above it (cut), 0 inside it or with no reading.

    No open interest (an infinite ratio) is no reading.
    """
    ratio = target_ratio(health, basis)
    if not math.isfinite(ratio) or target <= 0:
        return 0
    if ratio < low_band * target:
        return 1
    if ratio > high_band * target:
        return -1
    return 0


def steward_proposal(
    health: FundHealthLike,
    params: ExchangeParams,
    treasury: float,
    *,
    low_band: float,
    high_band: float,
    round_: int,
    base: float | None = None,
) -> Proposal | None:
    """The proposal fund health calls for in this round, or None inside the bands."""
    if health.depleted:
        amount = injection_size(
            health, params.fund_target, treasury, base, params.fund_target_basis
        )
        return InjectFromTreasury(amount) if amount > 0 else None
    signal = fund_signal(health, params.fund_target, low_band, high_band, params.fund_target_basis)
    if signal > 0:
        return _pick(_raise_measures(health, params, treasury, base), round_)
    if signal < 0:
        return _pick(_cut_measures(params), round_)
    return None
