"""The flash-loan attack: it drains the treasury without the defences, and fails with them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from abm.governance import AttackParams, Governance, GovernanceParams, GovernorParams

from .fakes import FakeExchange

ATTACK_STEP = 40
TREASURY = 1_000_000.0


def run_attack(governor: GovernorParams, steps: int = 200):
    exchange = FakeExchange(treasury=TREASURY)
    params = GovernanceParams(
        n_voters=20,
        degree=4,
        governor=governor,
        attack=AttackParams(enabled=True, start=ATTACK_STEP, borrow_multiple=1.0),
    )
    gov = Governance(params, np.random.default_rng(0), exchange)
    for step in range(1, steps + 1):
        exchange.step = step
        gov.step()
    return gov, exchange


def test_undefended_governor_is_drained():
    gov, ex = run_attack(GovernorParams.undefended())
    attack = gov.attack
    assert attack.outcome == "executed"
    assert attack.drained == pytest.approx(TREASURY)
    assert ex.ledger.balance("treasury") == 0.0
    assert ex.ledger.balance("attacker") == pytest.approx(TREASURY)
    assert attack.weight > gov.token.supply  # the loan's votes were counted
    assert gov.token.balance(attack.attacker) == pytest.approx(0.005 * 1e7)  # loan repaid
    ex.ledger.check()


def test_snapshot_and_delay_defeat_the_loan():
    gov, ex = run_attack(GovernorParams())
    attack = gov.attack
    assert attack.outcome == "defeated"
    assert attack.weight == pytest.approx(0.005 * 1e7)  # only its own stake counted
    assert ex.ledger.balance("treasury") == TREASURY
    assert ex.ledger.balance("attacker") == 0.0
    phases = [e["phase"] for e in ex.events if e["kind"] == "attack"]
    assert phases == ["borrow", "vote", "repay"]


def test_snapshot_alone_defeats_a_one_step_loan():
    params = dataclasses.replace(GovernorParams.undefended(), snapshot_voting=True)
    gov, ex = run_attack(params)
    assert gov.attack.outcome == "defeated"
    assert ex.ledger.balance("treasury") == TREASURY


def test_timelock_lets_the_guardian_veto():
    params = dataclasses.replace(GovernorParams.undefended(), timelock=48)
    gov, ex = run_attack(params)
    assert gov.attack.outcome == "canceled"
    assert gov.governor.proposals_canceled == 1
    assert ex.ledger.balance("treasury") == TREASURY


def test_attack_settings_validated():
    with pytest.raises(ValueError, match=r"attack\.borrow_multiple must be in"):
        AttackParams(borrow_multiple=0.0)
    with pytest.raises(ValueError, match=r"attack\.stake_share must be at least"):
        GovernanceParams(attack=AttackParams(enabled=True, stake_share=0.001))
