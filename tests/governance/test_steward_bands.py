"""The steward in both directions, and fee shares that always add up (F1, F4)."""

from __future__ import annotations

import math

import pytest

from abm.exchange.params import ExchangeParams
from abm.governance import SetFeeShares, SetPenaltySplit, steward_proposal
from abm.governance.policy import SPLIT_MAX, SPLIT_MIN

from .fakes import FakeExchange, Health

LOW, HIGH = 0.5, 2.0
TARGET = ExchangeParams().fund_target


def fund_at(ratio: float, oi: float = 1_000_000.0) -> Health:
    """A fund standing at `ratio` × open interest."""
    return Health(ratio * oi, ratio, 0.0, 0.0, depleted=False)


def propose(health, params, round_):
    return steward_proposal(
        health, params, 1_000_000.0, low_band=LOW, high_band=HIGH, round_=round_
    )


def walk_split(ratio: float, start: float, round_: int) -> list[float]:
    """Apply the steward's penalty-split proposals until it has none left."""
    ex = FakeExchange(params=ExchangeParams(penalty_fund_share=start))
    path = [start]
    for _ in range(20):
        proposal = propose(fund_at(ratio), ex.params, round_)
        if not isinstance(proposal, SetPenaltySplit):
            break
        proposal.check(ex.params)
        proposal.execute(ex)
        path.append(ex.params.penalty_fund_share)
    return path


def test_a_fund_far_above_target_hands_the_penalty_share_back_down_to_the_floor():
    path = walk_split(3 * HIGH * TARGET, 0.9, round_=2)
    assert path == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, SPLIT_MIN])
    assert propose(fund_at(3 * HIGH * TARGET), ExchangeParams(penalty_fund_share=0.1), 2) != (
        SetPenaltySplit(SPLIT_MIN)
    )  # below the floor already: the steward never pushes it up while cutting


def test_a_fund_far_below_target_raises_the_penalty_share_up_to_the_ceiling():
    path = walk_split(0.2 * LOW * TARGET, 0.5, round_=0)
    assert path == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9, SPLIT_MAX])


@pytest.mark.parametrize("ratio", [LOW * TARGET * 1.01, TARGET, HIGH * TARGET * 0.99])
def test_inside_the_band_the_split_is_left_alone(ratio):
    assert walk_split(ratio, 0.7, round_=2) == [0.7]
    assert walk_split(ratio, 0.7, round_=0) == [0.7]


def test_f1_fee_shares_with_seven_decimals_still_sum_to_one():
    params = ExchangeParams(treasury_fee_share=0.1234567)
    for ratio, round_ in ((0.2 * LOW * TARGET, 2), (3 * HIGH * TARGET, 1)):
        proposal = propose(fund_at(ratio), params, round_)
        assert isinstance(proposal, SetFeeShares)
        assert proposal.treasury == 0.1234567
        assert math.isclose(proposal.fund + proposal.lp + proposal.treasury, 1.0, abs_tol=1e-15)
        ex = FakeExchange(params=params)
        proposal.execute(ex)
        assert ex.params.lp_fee_share >= 0.0


def test_f4_raising_the_fund_fee_share_to_its_cap_never_leaves_lps_a_negative_share():
    ex = FakeExchange(params=ExchangeParams(fund_fee_share=0.5, treasury_fee_share=0.1))
    for _ in range(10):
        proposal = propose(fund_at(0.2 * LOW * TARGET), ex.params, 2)
        if not isinstance(proposal, SetFeeShares):
            break
        proposal.execute(ex)
        assert ex.params.lp_fee_share >= 0.0
    assert ex.params.fund_fee_share == pytest.approx(0.9)
    assert ex.params.lp_fee_share >= 0.0


def test_f4_a_voted_90_0_10_split_leaves_lps_zero_not_minus_dust():
    ex = FakeExchange()
    SetFeeShares(0.9, 0.0, 0.1).execute(ex)
    assert ex.params.lp_fee_share >= 0.0
    assert ex.params.fund_fee_share == pytest.approx(0.9, abs=1e-15)
