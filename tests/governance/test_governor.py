"""The proposal state machine: windows, quorum and approval edges, timelock, grace."""

from __future__ import annotations

import pytest

from abm.governance import (
    GovernorParams,
    InjectFromTreasury,
    ProposalRejected,
    ProposalState,
    SetMaxLeverage,
    SetPenaltyRate,
)

from .fakes import WHALE, advance

P = GovernorParams()


def open_vote(governor, exchange, proposal=None, proposer=WHALE, step=10):
    """Propose at `step` and advance to the first voting step; returns (record, that step)."""
    exchange.step = step
    rec = governor.propose(proposer, proposal or SetPenaltyRate(0.02), step, exchange)
    advance(governor, exchange, step, rec.snapshot)
    return rec, rec.snapshot + 1


def test_lifecycle_to_execution(make_governor, exchange):
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    assert rec.snapshot == 10 + P.voting_delay and rec.end == rec.snapshot + P.voting_period
    assert rec.state is ProposalState.ACTIVE
    gov.cast_vote(rec.id, WHALE, True, first)
    advance(gov, exchange, first, rec.end - 1)
    assert rec.state is ProposalState.ACTIVE
    advance(gov, exchange, rec.end, rec.end)
    assert rec.state is ProposalState.QUEUED and rec.eta == rec.end + P.timelock
    assert exchange.params.penalty_rate == 0.015
    advance(gov, exchange, rec.end + 1, rec.eta)
    assert rec.state is ProposalState.EXECUTED
    assert exchange.params.penalty_rate == 0.02
    assert exchange.proposal_states(rec.id) == [
        "pending",
        "active",
        "succeeded",
        "queued",
        "executed",
    ]
    assert gov.proposals_passed == 1 and gov.proposals_failed == 0


def test_pending_until_snapshot_closes(make_governor, exchange):
    gov = make_governor()
    exchange.step = 10
    rec = gov.propose(WHALE, SetPenaltyRate(0.02), 10, exchange)
    advance(gov, exchange, 10, rec.snapshot - 1)
    assert rec.state is ProposalState.PENDING
    with pytest.raises(ValueError, match="voting is open"):
        gov.cast_vote(rec.id, WHALE, True, rec.snapshot)
    advance(gov, exchange, rec.snapshot, rec.snapshot)
    assert rec.state is ProposalState.ACTIVE
    with pytest.raises(ValueError, match="voting is open"):
        gov.cast_vote(rec.id, WHALE, True, rec.snapshot)


def test_events_carry_the_tally(make_governor, exchange):
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    gov.cast_vote(rec.id, 4, False, first)
    advance(gov, exchange, first, rec.end)
    last = [e for e in exchange.events if e["kind"] == "proposal"][-1]
    assert last == {
        "step": rec.end,
        "kind": "proposal",
        "id": rec.id,
        "proposal_kind": "set_penalty_rate",
        "state": "defeated",
        "votes_for": 0.0,
        "votes_against": 200.0,
        "quorum": pytest.approx(40.0),
        "description": "set liquidation penalty to 2.00%",
    }
    assert gov.proposals_failed == 1
    assert gov.turnout_last == pytest.approx(0.2)


@pytest.mark.parametrize(("voter", "passes"), [(0, True), (1, False)])
def test_quorum_edge(make_governor, exchange, voter, passes):
    """Votes for equal to the quorum pass; one token fewer fails."""
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    gov.cast_vote(rec.id, voter, True, first)
    advance(gov, exchange, first, rec.end)
    assert rec.quorum_votes == pytest.approx(40.0)
    assert rec.state is (ProposalState.QUEUED if passes else ProposalState.DEFEATED)


@pytest.mark.parametrize(
    ("for_voters", "against_voters", "passes"),
    [((2,), (3,), False), ((2, 0), (3, 1), True), ((2, 1), (3, 0), False)],
)
def test_approval_edge(make_governor, exchange, for_voters, against_voters, passes):
    """A tie (exactly 50 %) fails, as in Bravo; one more vote for passes."""
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    for v in for_voters:
        gov.cast_vote(rec.id, v, True, first)
    for v in against_voters:
        gov.cast_vote(rec.id, v, False, first)
    advance(gov, exchange, first, rec.end)
    assert rec.state is (ProposalState.QUEUED if passes else ProposalState.DEFEATED)


@pytest.mark.parametrize("timelock", [0, 1, 48])
def test_timelock_delays_execution_exactly(make_governor, exchange, timelock):
    gov = make_governor(GovernorParams(timelock=timelock))
    rec, first = open_vote(gov, exchange)
    gov.cast_vote(rec.id, WHALE, True, first)
    advance(gov, exchange, first, rec.end + timelock - 1)
    assert exchange.params.penalty_rate == 0.015
    advance(gov, exchange, rec.end + timelock, rec.end + timelock)
    assert rec.state is ProposalState.EXECUTED
    assert exchange.params.penalty_rate == 0.02
    executed = [e for e in exchange.events if e["kind"] == "proposal"][-1]
    assert executed["state"] == "executed" and executed["step"] == rec.end + timelock


def test_expires_after_grace(make_governor, exchange):
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    gov.cast_vote(rec.id, WHALE, True, first)
    advance(gov, exchange, first, rec.end)
    exchange.step = rec.eta + P.grace_period
    gov.advance(exchange.step, exchange)
    assert rec.state is ProposalState.EXPIRED
    assert exchange.params.penalty_rate == 0.015
    assert gov.proposals_failed == 1 and gov.proposals_passed == 0


def test_failing_execution_is_retried_until_grace(make_governor, exchange):
    gov = make_governor(GovernorParams(timelock=2, grace_period=5))
    rec, first = open_vote(gov, exchange, SetMaxLeverage(30.0))
    gov.cast_vote(rec.id, WHALE, True, first)
    advance(gov, exchange, first, rec.end)
    exchange.params = exchange.params.updated(maintenance_margin=0.04, initial_margin=0.08)
    advance(gov, exchange, rec.end + 1, rec.eta + 4)
    assert rec.state is ProposalState.QUEUED and rec.error is not None
    failures = [e for e in exchange.events if e["kind"] == "proposal_execution_failed"]
    assert len(failures) == 1
    advance(gov, exchange, rec.eta + 5, rec.eta + 5)
    assert rec.state is ProposalState.EXPIRED
    assert exchange.params.initial_margin == 0.08


def test_threshold_read_at_previous_step(make_governor, exchange):
    gov = make_governor()
    small = gov.token.add_holder(2.0)
    with pytest.raises(ProposalRejected, match="threshold"):
        gov.propose(small, SetPenaltyRate(0.02), 10, exchange)
    gov.token.transfer(WHALE, small, 1.0, step=10)
    with pytest.raises(ProposalRejected, match="threshold"):
        gov.propose(small, SetPenaltyRate(0.02), 10, exchange)
    assert gov.propose(small, SetPenaltyRate(0.02), 11, exchange).proposer == small


def test_one_live_proposal_per_proposer(make_governor, exchange):
    gov = make_governor()
    first = gov.propose(WHALE, SetPenaltyRate(0.02), 10, exchange)
    with pytest.raises(ProposalRejected, match="live proposal"):
        gov.propose(WHALE, SetPenaltyRate(0.03), 11, exchange)
    advance(gov, exchange, 10, first.end)
    assert first.state is ProposalState.DEFEATED
    assert gov.propose(WHALE, SetPenaltyRate(0.03), first.end + 1, exchange).id == 1


def test_double_vote_rejected(make_governor, exchange):
    gov = make_governor()
    rec, first = open_vote(gov, exchange)
    gov.cast_vote(rec.id, 2, True, first)
    with pytest.raises(ValueError, match="already voted"):
        gov.cast_vote(rec.id, 2, False, first + 1)


def test_payload_checked_against_live_params(make_governor, exchange):
    gov = make_governor()
    with pytest.raises(ValueError, match=r"leverage must be below 40"):
        gov.propose(WHALE, SetMaxLeverage(50.0), 10, exchange)


class TestEmergencyTrack:
    GUARDIAN = 1

    def test_guardian_injection_skips_delay_and_timelock(self, make_governor, exchange):
        gov = make_governor(guardian=self.GUARDIAN)
        exchange.set_fund(0.0)
        exchange.step = 10
        rec = gov.propose(self.GUARDIAN, InjectFromTreasury(100_000.0), 10, exchange)
        assert rec.emergency
        assert (rec.snapshot, rec.end, rec.timelock) == (10, 10 + P.emergency_voting_period, 0)
        advance(gov, exchange, 10, 10)
        gov.cast_vote(rec.id, WHALE, True, 11)
        advance(gov, exchange, 11, rec.end)
        assert rec.state is ProposalState.EXECUTED
        assert exchange.ledger.balance("insurance_fund") == pytest.approx(100_000.0)
        assert gov.treasury_injected == pytest.approx(100_000.0)

    def test_guardian_may_hold_one_ordinary_and_one_emergency(self, make_governor, exchange):
        gov = make_governor(guardian=self.GUARDIAN)
        ordinary = gov.propose(self.GUARDIAN, SetPenaltyRate(0.02), 10, exchange)
        exchange.set_fund(0.0)
        emergency = gov.propose(self.GUARDIAN, InjectFromTreasury(1.0), 10, exchange)
        assert not ordinary.emergency and emergency.emergency

    @pytest.mark.parametrize("case", ["not_guardian", "not_depleted", "disabled"])
    def test_ordinary_otherwise(self, make_governor, exchange, case):
        params = GovernorParams(emergency_fast_track=case != "disabled")
        gov = make_governor(params, guardian=self.GUARDIAN)
        if case != "not_depleted":
            exchange.set_fund(0.0)
        proposer = WHALE if case == "not_guardian" else self.GUARDIAN
        rec = gov.propose(proposer, InjectFromTreasury(1.0), 10, exchange)
        assert not rec.emergency and rec.snapshot == 10 + P.voting_delay


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("voting_delay", -1, r"voting_delay must be in \[0, 1e\+09\]"),
        ("voting_period", 1.5, "voting_period must be a whole number"),
        ("quorum", 1.2, r"quorum must be in \[0, 1\]"),
        ("approval", 1.0, r"approval must be in \[0, 1\)"),
        ("proposal_threshold", -0.1, "proposal_threshold must be in"),
        ("grace_period", 0, "grace_period must be in"),
        ("snapshot_voting", "yes", "snapshot_voting must be True or False"),
    ],
)
def test_params_validated(field, value, message):
    with pytest.raises(ValueError, match=message):
        GovernorParams(**{field: value})
