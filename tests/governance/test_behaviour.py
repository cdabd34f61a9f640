"""Voter behaviour: interest by role, fund health, neighbours, and turnout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm.exchange.params import ExchangeParams
from abm.governance import (
    InjectFromTreasury,
    SetPenaltyRate,
    TreasuryTransfer,
    assign_roles,
    health_gap,
    participation_rates,
    social_signal,
    support_probability,
    vote_hazard,
)

PARAMS = ExchangeParams()
RAISE_PENALTY = SetPenaltyRate(0.02).effect(PARAMS)
INJECT = InjectFromTreasury(1.0).effect(PARAMS)
DRAIN = TreasuryTransfer("x", 1.0).effect(PARAMS)


def p(role, effect, gap=0.0, social=0.0, influence=1.0):
    return support_probability(role, effect, gap, social, influence=influence)


def test_traders_dislike_higher_penalties_lps_like_them():
    assert p("trader", RAISE_PENALTY) < 0.5 < p("lp", RAISE_PENALTY)


def test_a_low_fund_wins_support_for_raising_measures():
    assert p("trader", RAISE_PENALTY, gap=1.0) > 0.5 > p("trader", RAISE_PENALTY, gap=0.0)
    assert p("lp", RAISE_PENALTY, gap=-1.0) < p("lp", RAISE_PENALTY, gap=0.0)


def test_treasury_minded_holders_dislike_injections_unless_the_fund_is_empty():
    assert p("holder", INJECT) < 0.5 < p("holder", INJECT, gap=1.0)


@pytest.mark.parametrize("role", ["trader", "lp", "holder"])
def test_everyone_rejects_a_treasury_drain(role):
    assert p(role, DRAIN, gap=1.0, social=1.0) < 0.01


def test_neighbours_pull_the_vote():
    lo, mid, hi = (p("lp", RAISE_PENALTY, gap=-1.0, social=s, influence=2.0) for s in (-1, 0, 1))
    assert lo < mid < hi
    assert p("lp", RAISE_PENALTY, social=1.0, influence=0.0) == p("lp", RAISE_PENALTY)


@pytest.mark.parametrize(
    ("ratio", "gap"), [(0.0, 1.0), (0.05, 0.0), (0.075, -0.5), (1.0, -1.0), (math.inf, -1.0)]
)
def test_health_gap(ratio, gap):
    assert health_gap(ratio, 0.05) == pytest.approx(gap)
    assert health_gap(math.nan, 0.05) == 0.0


def test_social_signal():
    assert social_signal(0, 0) == 0.0
    assert social_signal(3, 1) == 0.5


@pytest.mark.parametrize(("participation", "period"), [(0.3, 72), (0.9, 6), (0.0, 10)])
def test_vote_hazard_compounds_to_participation(participation, period):
    h = vote_hazard(participation, period)
    assert 1 - (1 - h) ** period == pytest.approx(participation)
    assert vote_hazard(1.0, period) == 1.0


def test_participation_rates_have_the_requested_mean():
    rates = participation_rates(np.random.default_rng(0), 20_000, 0.3)
    assert rates.mean() == pytest.approx(0.3, abs=0.01)
    assert rates.min() >= 0 and rates.max() <= 1


def test_assign_roles_in_proportion():
    roles = assign_roles(np.random.default_rng(0), 10_000, 0.4, 0.2)
    assert roles.count("trader") / 10_000 == pytest.approx(0.4, abs=0.02)
    assert roles.count("lp") / 10_000 == pytest.approx(0.2, abs=0.02)
    assert set(roles) == {"trader", "lp", "holder"}
