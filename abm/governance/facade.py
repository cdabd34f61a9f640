"""`Governance`: the token, the voter network, the governor and the attack, wired together.

The model builds one from `GovernanceParams`, its numpy Generator and the exchange; Mesa
agents propose and vote through it; the model calls `step()` once per step, after the
agents, to run the attack (if enabled) and advance the governor. All clocks are the
exchange's `step`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from ..exchange.clock import Clock
from .attack import FlashLoanAttack
from .governor import Governor, ProposalRecord
from .interfaces import ExchangeLike
from .network import VoterNetwork, build_network
from .params import GovernanceParams, GovernorParams
from .proposals import Proposal
from .token import GENESIS_STEP, Token, pareto_allocation


def governor_in_steps(params: GovernorParams, clock: Clock) -> GovernorParams:
    """The governor counts steps; its settings are given in hours."""
    return dataclasses.replace(
        params,
        voting_delay=clock.steps(params.voting_delay, minimum=0),
        voting_period=clock.steps(params.voting_period),
        timelock=clock.steps(params.timelock, minimum=0),
        grace_period=clock.steps(params.grace_period),
        emergency_voting_period=clock.steps(params.emergency_voting_period),
    )


class Governance:
    """Token holders, their network, the governor, and the optional attack, for one exchange
    (or a venue of several markets, watched and changed as a whole).

    Holder ids: voters are 0 … n_voters-1, then the treasury, the risk steward (also the
    guardian of the emergency track) and, with the attack on, the attacker.
    """

    def __init__(
        self,
        params: GovernanceParams,
        rng: np.random.Generator,
        exchange: ExchangeLike,
        step_hours: float = 1.0,
    ) -> None:
        self.params = params
        self.exchange = exchange
        clock = Clock(step_hours)
        self.patience_steps = clock.steps(params.patience)
        """The steward's patience in steps (`params.patience` is in hours)."""
        n = params.n_voters
        voter_tokens = pareto_allocation(
            n, params.voter_share * params.supply, params.holder_alpha, rng
        )
        self.token = Token(voter_tokens)
        self.voters = list(range(n))
        self.treasury_holder = self.token.add_holder(params.treasury_share * params.supply)
        self.steward = self.token.add_holder(params.steward_share * params.supply)
        self.network: VoterNetwork = build_network(
            self.voters,
            voter_tokens,
            kind=params.network,
            degree=params.degree,
            rewire=params.rewire,
            delegation_fraction=params.delegation_fraction,
            rng=rng,
        )
        self.governor = Governor(
            governor_in_steps(params.governor, clock),
            self.token,
            self.network,
            guardian=self.steward,
        )
        self.attack: FlashLoanAttack | None = None
        if params.attack.enabled:
            attacker = self.token.add_holder(
                params.attack.stake_share * params.supply, GENESIS_STEP
            )
            self.attack = FlashLoanAttack(
                params.attack,
                attacker,
                self.token,
                self.governor,
                exchange,
                at_step=clock.steps(params.attack.start),
            )

    # -- what agents do -----------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.params.enabled

    @property
    def now(self) -> int:
        return self.exchange.step

    def power(self, holder: int) -> float:
        """Current votes of `holder`: own tokens unless delegated, plus delegated tokens."""
        return self.network.power(self.token, holder)

    def propose(self, proposer: int, proposal: Proposal) -> ProposalRecord:
        return self.governor.propose(proposer, proposal, self.now, self.exchange)

    def vote(self, holder: int, proposal_id: int, support: bool) -> float:
        return self.governor.cast_vote(proposal_id, holder, support, self.now)

    @property
    def active(self) -> list[ProposalRecord]:
        """Proposals open for voting now."""
        return self.governor.active()

    def has_voted(self, holder: int, proposal_id: int) -> bool:
        return holder in self.governor.proposals[proposal_id].receipts

    def neighbour_votes(self, holder: int, proposal_id: int) -> tuple[int, int]:
        """How many of `holder`'s neighbours already voted for, and against."""
        receipts = self.governor.proposals[proposal_id].receipts
        cast = [receipts[h][0] for h in self.network.neighbours(holder) if h in receipts]
        n_for = sum(cast)
        return n_for, len(cast) - n_for

    def step(self, votes: Iterable[tuple[int, int, bool]] = ()) -> None:
        """Cast `votes` (holder, proposal id, support), run the attack, advance the governor."""
        if not self.enabled:
            return
        for holder, proposal_id, support in votes:
            self.vote(holder, proposal_id, support)
        step = self.now
        if self.attack is not None:
            self.attack.step(step, self.exchange)
        self.governor.advance(step, self.exchange)

    # -- model columns ------------------------------------------------------------------
    @property
    def active_proposals(self) -> int:
        return len(self.governor.active())

    @property
    def proposals_passed(self) -> int:
        """Proposals executed (a passed one that expires unexecuted counts as failed)."""
        return self.governor.proposals_passed

    @property
    def proposals_failed(self) -> int:
        """Proposals defeated or expired (guardian cancellations are counted apart)."""
        return self.governor.proposals_failed

    @property
    def treasury_injected(self) -> float:
        return self.governor.treasury_injected

    @property
    def turnout_last(self) -> float:
        """Votes cast on the last closed proposal, as a share of supply at its snapshot.

        Above 1 when flash-borrowed votes were counted (the undefended attack).
        """
        return self.governor.turnout_last

    @property
    def fund_target(self) -> float:
        return self.exchange.params.fund_target
