"""The risk steward's policy: raise fund inflow when low, cut when high, nothing in band."""

from __future__ import annotations

import math

import pytest

from abm.exchange.params import ExchangeParams
from abm.governance import (
    InjectFromTreasury,
    SetFeeShares,
    SetPenaltyRate,
    SetPenaltySplit,
    steward_proposal,
)

from .fakes import Health

TARGET = ExchangeParams().fund_target  # 0.05 of open interest


def health(ratio: float, oi: float = 1_000_000.0) -> Health:
    bal = ratio * oi if math.isfinite(ratio) else 1_000.0
    return Health(bal, ratio, 0.0, 0.0, depleted=bal < 1.0)


def propose(h, params=None, treasury=1_000_000.0, round_=0):
    return steward_proposal(
        h, params or ExchangeParams(), treasury, low_band=0.5, high_band=2.0, round_=round_
    )


@pytest.mark.parametrize(
    ("round_", "expected"),
    [
        (0, SetPenaltySplit(0.6)),
        (1, SetPenaltyRate(0.02)),
        (2, SetFeeShares(0.3, 0.6, 0.1)),
        (3, InjectFromTreasury(0.5 * (0.05 - 0.01) * 1_000_000.0)),
        (4, SetPenaltySplit(0.6)),
    ],
)
def test_low_fund_cycles_through_raising_measures(round_, expected):
    proposal = propose(health(0.01), round_=round_)
    assert proposal == expected
    assert proposal.effect(ExchangeParams()).fund == 1


@pytest.mark.parametrize(
    ("round_", "expected"),
    [(0, SetPenaltyRate(0.01)), (1, SetFeeShares(0.1, 0.8, 0.1))],
)
def test_high_fund_proposes_cuts(round_, expected):
    proposal = propose(health(0.2), round_=round_)
    assert proposal == expected
    assert proposal.effect(ExchangeParams()).fund == -1


@pytest.mark.parametrize("ratio", [0.025, 0.05, 0.1, math.inf, math.nan])
def test_no_proposal_inside_the_bands_or_without_open_interest(ratio):
    assert propose(health(ratio)) is None


def test_measures_at_their_limit_are_skipped():
    params = ExchangeParams(penalty_fund_share=1.0)
    assert propose(health(0.01), params, round_=0) == SetPenaltyRate(0.02)
    floor = ExchangeParams(penalty_rate=0.005)
    assert propose(health(0.2), floor, round_=0) == SetFeeShares(0.1, 0.8, 0.1)


def test_injection_capped_by_treasury_and_skipped_when_empty():
    assert propose(health(0.01), treasury=40_000.0, round_=3) == InjectFromTreasury(10_000.0)
    assert propose(health(0.01), treasury=0.0, round_=3) == SetPenaltySplit(0.6)


def test_depleted_fund_gets_an_injection():
    empty = Health(0.0, 0.0, 0.0, 1.0, depleted=True)
    assert propose(empty, treasury=800_000.0, round_=1) == InjectFromTreasury(200_000.0)
    assert propose(empty, treasury=0.0) is None


def test_injection_into_an_empty_fund_uses_the_remembered_open_interest():
    empty = Health(0.0, 0.0, 0.0, 1.0, depleted=True)
    proposal = steward_proposal(
        empty,
        ExchangeParams(),
        800_000.0,
        low_band=0.5,
        high_band=2.0,
        round_=0,
        base=1_000_000.0,
    )
    assert proposal == InjectFromTreasury(0.5 * 0.05 * 1_000_000.0)
