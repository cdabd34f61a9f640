"""The Governance facade: holders, determinism, settings, and the layering rule."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import abm.governance
from abm.governance import Governance, GovernanceParams, SetPenaltyRate

from .fakes import FakeExchange


def build(seed=0, **kw):
    ex = FakeExchange()
    return Governance(GovernanceParams(**kw), np.random.default_rng(seed), ex), ex


def test_holders_and_supply():
    gov, _ = build(n_voters=50)
    p = gov.params
    assert gov.voters == list(range(50))
    assert gov.token.supply == pytest.approx(p.supply)
    assert gov.token.balance(gov.treasury_holder) == pytest.approx(p.treasury_share * p.supply)
    assert gov.token.balance(gov.steward) == pytest.approx(p.steward_share * p.supply)
    assert gov.governor.guardian == gov.steward
    assert gov.attack is None
    assert sum(gov.power(h) for h in gov.voters) == pytest.approx(
        gov.token.balances[: len(gov.voters)].sum()
    )


def test_same_seed_same_governance():
    a, _ = build(seed=4)
    b, _ = build(seed=4)
    c, _ = build(seed=5)
    np.testing.assert_array_equal(a.token.balances, b.token.balances)
    assert sorted(a.network.delegation.edges) == sorted(b.network.delegation.edges)
    assert not np.array_equal(a.token.balances, c.token.balances)


def test_step_casts_votes_and_advances():
    gov, ex = build(n_voters=10, degree=4)
    ex.step = 1
    rec = gov.propose(gov.steward, SetPenaltyRate(0.02))
    whale = int(np.argmax(gov.token.balances[:10]))
    for step in range(1, rec.end + gov.params.governor.timelock + 1):
        ex.step = step
        votes = (
            [(whale, rec.id, True), (gov.steward, rec.id, True)] if step == rec.snapshot + 1 else []
        )
        gov.step(votes)
    assert gov.proposals_passed == 1 and ex.params.penalty_rate == 0.02
    assert gov.turnout_last == pytest.approx(rec.votes_cast / gov.token.supply)
    assert gov.active_proposals == 0 and gov.fund_target == ex.params.fund_target


def test_disabled_governance_does_nothing():
    gov, ex = build(enabled=False)
    rec = gov.propose(gov.steward, SetPenaltyRate(0.02))
    for step in range(1, 300):
        ex.step = step
        gov.step()
    assert rec.state == "pending" and gov.proposals_failed == 0
    assert [e["state"] for e in ex.events] == ["pending"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("network", "ring", "governance.network must be one of"),
        ("n_voters", 2, r"governance.n_voters must be in \[3, 100000\]"),
        ("degree", 200, r"governance.degree must be in \[2, 199\]"),
        ("steward_share", 0.001, r"governance.steward_share must be in \[0.0025, 1\]"),
        ("treasury_share", 0.995, "must be below 1"),
        ("lp_share", 0.7, r"governance.lp_share must be in \[0, 0.6\]"),
        ("high_band", 0.5, "governance.high_band must be in"),
        ("enabled", 1, "governance.enabled must be True or False"),
    ],
)
def test_params_validated(field, value, message):
    with pytest.raises(ValueError, match=message):
        GovernanceParams(**{field: value})


def test_governance_imports_neither_mesa_nor_the_layers_above():
    root = Path(abm.governance.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." * node.level + (node.module or "")]
            else:
                continue
            for name in names:
                assert not name.startswith(("mesa", "abm.agents", "abm.model")), (path, name)
                assert not name.startswith(("..agents", "..model", "...")), (path, name)
