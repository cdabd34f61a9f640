"""The governor: proposals, votes and the timelock, after Compound Governor Bravo.

One step is one hour. A proposal made at step p takes its snapshot at s = p + voting_delay;
it is pending while step <= s, active for steps s+1 … s+voting_period (votes weigh the
voter's power at the end of step s, like `getPriorVotes(startBlock)`), and closes at the
end of its last voting step. It passes if votes for reach the quorum (for >= quorum ×
supply at the snapshot, as in Bravo) and beat the approval share strictly (for / (for +
against) > approval, so a tie at 0.5 fails, as in Bravo). A passed proposal is queued
with eta = close + timelock, executed at the end of step eta, and expires if it still
has not executed by eta + grace_period (a failing execution is retried each step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..exchange.ledger import LedgerError
from .interfaces import ExchangeLike
from .network import VoterNetwork
from .params import GovernorParams
from .proposals import InjectFromTreasury, Proposal
from .token import Token


class ProposalState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DEFEATED = "defeated"
    SUCCEEDED = "succeeded"
    QUEUED = "queued"
    EXECUTED = "executed"
    EXPIRED = "expired"
    CANCELED = "canceled"


FINAL_STATES = frozenset(
    {ProposalState.DEFEATED, ProposalState.EXECUTED, ProposalState.EXPIRED, ProposalState.CANCELED}
)


class ProposalRejected(ValueError):
    """The governor refused a proposal (threshold, one live proposal, emergency rules)."""


@dataclass
class ProposalRecord:
    """A proposal's life in the governor: its window, its tally and its state."""

    id: int
    proposer: int
    proposal: Proposal
    created: int
    snapshot: int
    end: int
    timelock: int
    emergency: bool = False
    state: ProposalState = ProposalState.PENDING
    votes_for: float = 0.0
    votes_against: float = 0.0
    receipts: dict[int, tuple[bool, float]] = field(default_factory=dict)
    quorum_votes: float = 0.0
    eta: int | None = None
    moved: float = 0.0
    error: str | None = None

    @property
    def voting_period(self) -> int:
        return self.end - self.snapshot

    @property
    def votes_cast(self) -> float:
        return self.votes_for + self.votes_against

    @property
    def live(self) -> bool:
        return self.state not in FINAL_STATES


class Governor:
    """Runs the proposal state machine over a token and its delegation network."""

    def __init__(
        self,
        params: GovernorParams,
        token: Token,
        network: VoterNetwork,
        guardian: int | None = None,
    ) -> None:
        self.params = params
        self.token = token
        self.network = network
        self.guardian = guardian
        self.proposals: dict[int, ProposalRecord] = {}
        self._open: list[int] = []
        self.proposals_passed = 0
        self.proposals_failed = 0
        self.proposals_canceled = 0
        self.treasury_injected = 0.0
        self.turnout_last = 0.0

    # -- power --------------------------------------------------------------------------
    def power(self, holder: int, step: int) -> float:
        """Votes of `holder` as counted at `step`: checkpointed, or live without snapshots."""
        return self.network.power(self.token, holder, step if self.params.snapshot_voting else None)

    # -- proposing ----------------------------------------------------------------------
    def live_proposal(self, proposer: int, emergency: bool = False) -> ProposalRecord | None:
        """The proposer's live proposal on the ordinary (or the emergency) track, if any."""
        for pid in self._open:
            rec = self.proposals[pid]
            if rec.proposer == proposer and rec.emergency == emergency:
                return rec
        return None

    def fast_track(self, proposer: int, proposal: Proposal, exchange: ExchangeLike | None) -> bool:
        """Whether this proposal qualifies for the guardian's emergency track."""
        return (
            self.params.emergency_fast_track
            and proposer == self.guardian
            and isinstance(proposal, InjectFromTreasury)
            and exchange is not None
            and exchange.fund_health().depleted
        )

    def propose(
        self,
        proposer: int,
        proposal: Proposal,
        step: int,
        exchange: ExchangeLike | None = None,
    ) -> ProposalRecord:
        """Open a proposal at `step`.

        The proposer needs `proposal_threshold` of the supply in votes at step - 1 and at
        most one live proposal per track. With `exchange`, the payload is also checked
        against the current parameters, the emergency track becomes available, and the
        creation is recorded.
        """
        p = self.params
        emergency = self.fast_track(proposer, proposal, exchange)
        if not emergency:
            need = p.proposal_threshold * self.token.supply_at(step - 1)
            have = self.power(proposer, step - 1)
            if have < need:
                raise ProposalRejected(
                    f"proposer {proposer} has {have:.6g} votes, the threshold is {need:.6g}"
                )
        live = self.live_proposal(proposer, emergency)
        if live is not None:
            raise ProposalRejected(f"proposer {proposer} already has live proposal {live.id}")
        if exchange is not None:
            proposal.check(exchange.params)
        delay, period, timelock = (
            (0, p.emergency_voting_period, 0)
            if emergency
            else (p.voting_delay, p.voting_period, p.timelock)
        )
        rec = ProposalRecord(
            id=len(self.proposals),
            proposer=proposer,
            proposal=proposal,
            created=step,
            snapshot=step + delay,
            end=step + delay + period,
            timelock=timelock,
            emergency=emergency,
        )
        rec.quorum_votes = p.quorum * self.token.supply
        self.proposals[rec.id] = rec
        self._open.append(rec.id)
        if exchange is not None:
            self._record(exchange, rec)
        return rec

    # -- voting -------------------------------------------------------------------------
    def active(self) -> list[ProposalRecord]:
        return [
            self.proposals[i] for i in self._open if self.proposals[i].state is ProposalState.ACTIVE
        ]

    def cast_vote(self, proposal_id: int, voter: int, support: bool, step: int) -> float:
        """Cast `voter`'s whole power for or against; returns the weight counted."""
        rec = self.proposals[proposal_id]
        if rec.state is not ProposalState.ACTIVE or not rec.snapshot < step <= rec.end:
            raise ValueError(
                f"proposal {proposal_id} is {rec.state}; voting is open for steps "
                f"{rec.snapshot + 1}…{rec.end} once active, not at step {step}"
            )
        if voter in rec.receipts:
            raise ValueError(f"holder {voter} already voted on proposal {proposal_id}")
        weight = self.power(voter, rec.snapshot if self.params.snapshot_voting else step)
        rec.receipts[voter] = (bool(support), weight)
        if support:
            rec.votes_for += weight
        else:
            rec.votes_against += weight
        return weight

    # -- the state machine --------------------------------------------------------------
    def advance(self, step: int, exchange: ExchangeLike) -> None:
        """Move every live proposal as far as `step` (the end of that step) allows."""
        for pid in list(self._open):
            rec = self.proposals[pid]
            if rec.state is ProposalState.PENDING and step >= rec.snapshot:
                self._move(exchange, rec, ProposalState.ACTIVE)
            if rec.state is ProposalState.ACTIVE and step >= rec.end:
                self._close(exchange, rec, step)
            if rec.state is ProposalState.QUEUED:
                self._settle(exchange, rec, step)
            if not rec.live:
                self._open.remove(pid)

    def _close(self, exchange: ExchangeLike, rec: ProposalRecord, step: int) -> None:
        supply = self.token.supply_at(rec.snapshot)
        rec.quorum_votes = self.params.quorum * supply
        self.turnout_last = rec.votes_cast / supply if supply > 0 else 0.0
        if self.passes(rec):
            self._move(exchange, rec, ProposalState.SUCCEEDED)
            rec.eta = step + rec.timelock
            self._move(exchange, rec, ProposalState.QUEUED)
        else:
            self.proposals_failed += 1
            self._move(exchange, rec, ProposalState.DEFEATED)

    def passes(self, rec: ProposalRecord) -> bool:
        """Quorum reached by votes for (inclusive) and approval beaten (strictly)."""
        if rec.votes_for < rec.quorum_votes or rec.votes_cast <= 0:
            return False
        return rec.votes_for / rec.votes_cast > self.params.approval

    def _settle(self, exchange: ExchangeLike, rec: ProposalRecord, step: int) -> None:
        assert rec.eta is not None
        if step >= rec.eta + self.params.grace_period:
            self.proposals_failed += 1
            self._move(exchange, rec, ProposalState.EXPIRED)
        elif step < rec.eta:
            if self.params.guardian_veto and rec.proposal.effect(exchange.params).hostile:
                self.proposals_canceled += 1
                self._move(exchange, rec, ProposalState.CANCELED)
        else:
            self._execute(exchange, rec)

    def _execute(self, exchange: ExchangeLike, rec: ProposalRecord) -> None:
        try:
            rec.moved = rec.proposal.execute(exchange)
        except (ValueError, KeyError, LedgerError) as exc:
            if rec.error is None:
                rec.error = str(exc)
                exchange.record("proposal_execution_failed", id=rec.id, error=rec.error)
            return
        rec.error = None
        if isinstance(rec.proposal, InjectFromTreasury):
            self.treasury_injected += rec.moved
        self.proposals_passed += 1
        self._move(exchange, rec, ProposalState.EXECUTED)

    def _move(self, exchange: ExchangeLike, rec: ProposalRecord, state: ProposalState) -> None:
        rec.state = state
        self._record(exchange, rec)

    @staticmethod
    def _record(exchange: ExchangeLike, rec: ProposalRecord) -> None:
        # `kind` is taken by the event type, so the proposal's kind goes in `proposal_kind`.
        exchange.record(
            "proposal",
            id=rec.id,
            proposal_kind=rec.proposal.kind,
            state=str(rec.state),
            votes_for=rec.votes_for,
            votes_against=rec.votes_against,
            quorum=rec.quorum_votes,
            description=rec.proposal.describe(),
        )
