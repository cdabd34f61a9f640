"""Mesa governance agents in a minimal model: proposals appear, pass and change the exchange."""

from __future__ import annotations

import math

import mesa
import pandas as pd
import pytest

from abm.agents.voters import (
    RiskSteward,
    Voter,
    create_governance_agents,
    governance_model_reporters,
    step_governance,
    voter_agent_reporters,
)
from abm.governance import Governance, GovernanceParams

from .fakes import FakeExchange


class Linked(mesa.Agent):
    """Stands in for a trader or an LP a voter can be linked to."""


class MiniModel(mesa.Model):
    def __init__(self, fund: float, seed: int = 1, n_linked: int = 5, **params) -> None:
        super().__init__(rng=seed)
        self.exchange = FakeExchange(fund=fund, open_interest=1_000_000.0)
        self.governance = Governance(GovernanceParams(**params), self.rng, self.exchange)
        self.traders = [Linked(self) for _ in range(n_linked)]
        self.lps = [Linked(self) for _ in range(n_linked)]
        self.governance_agents = create_governance_agents(self)
        self.datacollector = mesa.DataCollector(
            model_reporters=governance_model_reporters(),
            agenttype_reporters={Voter: voter_agent_reporters()},
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        self.exchange.step += 1
        step_governance(self)
        self.datacollector.collect(self)


def run(fund: float, steps: int = 240, **kw) -> MiniModel:
    model = MiniModel(fund, **kw)
    for _ in range(steps):
        model.step()
    return model


def test_agents_created_and_linked():
    model = MiniModel(fund=50_000.0, n_voters=60, degree=4)
    voters = list(model.agents_by_type[Voter])
    assert len(voters) == 60 and len(model.agents_by_type[RiskSteward]) == 1
    assert sorted(v.holder for v in voters) == model.governance.voters
    for v in voters:
        assert (v.trader is not None) == (v.role == "trader")
        assert (v.lp is not None) == (v.role == "lp")
        assert v.tokens == model.governance.token.balance(v.holder)
        assert math.isnan(v.last_vote)


def test_low_fund_raises_penalty_share():
    model = run(fund=5_000.0)  # 0.5 % of open interest against a 5 % target
    ex, gov = model.exchange, model.governance
    assert ex.params.penalty_fund_share == pytest.approx(0.6)
    assert gov.proposals_passed >= 1
    first = [e for e in ex.events if e["kind"] == "proposal" and e["id"] == 0]
    assert first[0]["proposal_kind"] == "set_penalty_split"
    assert [e["state"] for e in first][-1] == "executed"
    assert 0 < gov.turnout_last < 1


def test_steward_waits_for_the_signal_to_persist():
    model = run(fund=5_000.0, steps=23)
    assert model.governance.governor.proposals == {}
    model.step()
    assert model.governance.governor.proposals[0].created == 24
    patient = run(fund=5_000.0, steps=1, patience=1)
    assert patient.governance.governor.proposals[0].created == 1


def test_high_fund_cuts_penalty():
    model = run(fund=200_000.0)  # 20 % of open interest: four times the target
    assert model.exchange.params.penalty_rate == pytest.approx(0.01)
    events = [e for e in model.exchange.events if e["kind"] == "proposal"]
    assert events[0]["proposal_kind"] == "set_penalty_rate"


def test_depleted_fund_gets_an_emergency_injection():
    model = run(fund=0.0, steps=20)
    gov, ex = model.governance, model.exchange
    assert gov.governor.proposals[0].emergency
    assert gov.treasury_injected == pytest.approx(250_000.0)
    assert ex.ledger.balance("insurance_fund") == pytest.approx(250_000.0)
    ex.ledger.check()


def test_steward_sizes_an_emergency_injection_from_open_interest_seen_before():
    model = run(fund=50_000.0, steps=3)  # on target: no proposal
    assert model.governance.governor.proposals == {}
    model.exchange.set_fund(0.0)
    model.step()
    rec = model.governance.governor.proposals[0]
    assert rec.emergency and rec.proposal.amount == pytest.approx(0.5 * 0.05 * 1_000_000.0)


def test_delegators_do_not_vote_and_votes_are_reported():
    model = run(fund=5_000.0, steps=120)
    gov = model.governance
    rec = gov.governor.proposals[0]
    for v in model.agents_by_type[Voter]:
        if v.delegated:
            assert v.holder not in rec.receipts and v.voting_power == 0.0
            assert math.isnan(v.last_vote)
        elif v.holder in rec.receipts:
            assert v.last_vote == float(rec.receipts[v.holder][0])
    frame = model.datacollector.get_agenttype_vars_dataframe(Voter)
    assert list(frame.columns) == ["tokens", "voting_power", "last_vote"]


def test_model_columns_and_determinism():
    a = run(fund=5_000.0, steps=150).datacollector.get_model_vars_dataframe()
    b = run(fund=5_000.0, steps=150).datacollector.get_model_vars_dataframe()
    assert list(a.columns) == [
        "active_proposals",
        "proposals_passed",
        "proposals_failed",
        "treasury_injected",
        "turnout_last",
        "fund_target",
    ]
    pd.testing.assert_frame_equal(a, b)
    assert a["active_proposals"].max() >= 1


def test_disabled_governance_creates_no_agents():
    model = MiniModel(fund=5_000.0, enabled=False)
    assert model.governance_agents == []
    for _ in range(50):
        model.step()
    assert model.exchange.events == []
