"""Proposal payloads: rejected at creation when out of range; executed through the exchange."""

from __future__ import annotations

import pytest

from abm.exchange.params import ExchangeParams
from abm.governance import (
    Effect,
    GovernorParams,
    InjectFromTreasury,
    SetFeeShares,
    SetFundTarget,
    SetMaxLeverage,
    SetPenaltyRate,
    SetPenaltySplit,
    TreasuryTransfer,
)

from .fakes import WHALE, FakeExchange, advance


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SetPenaltyRate(0.9), r"rate must be in \[0, 0.5\], got 0.9"),
        (lambda: SetPenaltyRate(-0.01), r"rate must be in \[0, 0.5\]"),
        (lambda: SetPenaltySplit(1.2), r"fund_share must be in \[0, 1\], got 1.2"),
        (lambda: SetFeeShares(-0.1, 1.0, 0.1), r"fund must be in \[0, 1\]"),
        (lambda: SetFeeShares(0.2, 1.5, 0.1), r"lp must be in \[0, 1\]"),
        (lambda: SetFeeShares(0.5, 0.6, 0.1), "fund \\+ lp \\+ treasury must sum to 1, got 1.2"),
        (lambda: InjectFromTreasury(0.0), r"amount must be in \(0, inf\)"),
        (lambda: InjectFromTreasury(float("inf")), r"amount must be in \(0, inf\)"),
        (lambda: SetFundTarget(11.0), r"ratio must be in \[0, 10\]"),
        (lambda: SetMaxLeverage(0.5), r"leverage must be in \[1, inf\)"),
        (lambda: SetPenaltyRate("high"), "rate must be a number"),
        (lambda: TreasuryTransfer("", 1.0), "to_account must be a ledger account"),
        (lambda: TreasuryTransfer("treasury", 1.0), "to_account must differ"),
        (lambda: TreasuryTransfer("x", -1.0), r"amount must be in \(0, inf\)"),
    ],
)
def test_out_of_range_rejected_at_creation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_param_change_executes_through_set_param():
    ex = FakeExchange()
    SetPenaltySplit(0.7).execute(ex)
    SetFundTarget(0.08).execute(ex)
    SetMaxLeverage(10.0).execute(ex)
    assert ex.params.penalty_fund_share == 0.7
    assert ex.params.fund_target == 0.08
    assert ex.params.max_leverage == pytest.approx(10.0)
    assert [e["name"] for e in ex.events] == ["penalty_fund_share", "fund_target", "initial_margin"]


def test_fee_shares_apply_decrease_first():
    """0.3 / 0.1 / 0.6 -> 0.5 / 0.4 / 0.1 passes through a valid state only if the
    treasury share drops before the fund share rises."""
    ex = FakeExchange(params=ExchangeParams(fund_fee_share=0.3, treasury_fee_share=0.6))
    SetFeeShares(0.5, 0.4, 0.1).execute(ex)
    assert (ex.params.fund_fee_share, ex.params.treasury_fee_share) == (0.5, 0.1)
    assert ex.params.lp_fee_share == pytest.approx(0.4)


def test_unchanged_fields_are_not_set():
    ex = FakeExchange()
    SetFeeShares(0.3, 0.6, 0.1).execute(ex)
    assert [(e["name"], e["new"]) for e in ex.events] == [("fund_fee_share", 0.3)]


def test_invalid_change_applies_nothing():
    ex = FakeExchange(params=ExchangeParams(maintenance_margin=0.04, initial_margin=0.08))
    with pytest.raises(ValueError, match="maintenance_margin"):
        SetMaxLeverage(30.0).execute(ex)
    assert ex.params.initial_margin == 0.08 and ex.events == []


def test_injection_moves_treasury_money_through_the_ledger(make_governor):
    ex = FakeExchange(treasury=300_000.0, fund=10_000.0)
    gov = make_governor(GovernorParams(timelock=0))
    ex.step = 1
    rec = gov.propose(WHALE, InjectFromTreasury(120_000.0), 1, ex)
    advance(gov, ex, 1, rec.snapshot)
    gov.cast_vote(rec.id, WHALE, True, rec.snapshot + 1)
    advance(gov, ex, rec.snapshot + 1, rec.end)
    assert ex.ledger.balance("treasury") == pytest.approx(180_000.0)
    assert ex.ledger.balance("insurance_fund") == pytest.approx(130_000.0)
    assert ex.fund_inflows["injection"] == pytest.approx(120_000.0)
    assert gov.treasury_injected == pytest.approx(120_000.0) and rec.moved == 120_000.0
    ex.ledger.check()


def test_injection_is_capped_by_the_treasury():
    ex = FakeExchange(treasury=50.0, fund=0.0)
    assert InjectFromTreasury(1_000.0).execute(ex) == 50.0
    assert ex.ledger.balance("treasury") == 0.0 and ex.ledger.balance("insurance_fund") == 50.0
    ex.ledger.check()


def test_treasury_transfer_drains_to_the_account():
    ex = FakeExchange(treasury=500.0)
    ex.ledger.open("attacker")
    assert TreasuryTransfer("attacker", 800.0).execute(ex) == 500.0
    assert ex.ledger.balance("attacker") == 500.0 and ex.ledger.balance("treasury") == 0.0
    assert ex.events[-1] == {
        "step": 0,
        "kind": "treasury_transfer",
        "to_account": "attacker",
        "amount": 500.0,
    }
    ex.ledger.check()


def test_treasury_transfer_to_missing_account_fails():
    with pytest.raises(KeyError, match="nobody"):
        TreasuryTransfer("nobody", 1.0).execute(FakeExchange())


@pytest.mark.parametrize(
    ("proposal", "effect"),
    [
        (SetPenaltyRate(0.02), Effect(fund=1, trader_cost=1)),
        (SetPenaltyRate(0.01), Effect(fund=-1, trader_cost=-1)),
        (SetPenaltyRate(0.015), Effect()),
        (SetPenaltySplit(0.6), Effect(fund=1)),
        (SetFeeShares(0.3, 0.6, 0.1), Effect(fund=1, lp_income=-1)),
        (SetFeeShares(0.1, 0.8, 0.1), Effect(fund=-1, lp_income=1)),
        (InjectFromTreasury(1.0), Effect(fund=1, treasury=-1)),
        (SetMaxLeverage(10.0), Effect(fund=1, trader_cost=1)),
        (TreasuryTransfer("x", 1.0), Effect(treasury=-1, hostile=True)),
    ],
)
def test_effects_relative_to_current_params(proposal, effect):
    assert proposal.effect(ExchangeParams()) == effect
    assert proposal.describe()
