"""Mesa agents of governance: token holders who vote, and the risk steward who proposes.

They decide with the pure functions of `abm.governance` and act only through the model's
`Governance` object (`model.governance`). Randomness comes from `model.rng` alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from ..exchange.fund import target_ratio
from ..governance import (
    Governance,
    assign_roles,
    fund_signal,
    health_gap,
    implied_base,
    participation_rates,
    social_signal,
    steward_proposal,
    support_probability,
    vote_hazard,
)
from ..governance.interfaces import TREASURY_ACCOUNT, FundHealthLike


class Voter(mesa.Agent):
    """A token holder. It votes on active proposals, or lets its delegate vote for it."""

    def __init__(
        self,
        model: mesa.Model,
        holder: int,
        role: str,
        participation: float,
        trader: mesa.Agent | None = None,
        lp: mesa.Agent | None = None,
    ) -> None:
        super().__init__(model)
        self.holder = holder
        self.role = role
        self.participation = participation
        self.trader = trader
        self.lp = lp
        self.last_vote = math.nan

    @property
    def governance(self) -> Governance:
        return self.model.governance

    @property
    def tokens(self) -> float:
        return self.governance.token.balance(self.holder)

    @property
    def voting_power(self) -> float:
        return self.governance.power(self.holder)

    @property
    def delegated(self) -> bool:
        return self.governance.network.delegate_of(self.holder) is not None

    def step(self) -> None:
        gov = self.governance
        active = gov.active
        if not active or self.delegated:
            return
        exchange, rng = gov.exchange, self.model.rng
        gap: float | None = None
        for rec in active:
            if gov.has_voted(self.holder, rec.id):
                continue
            if rng.random() >= vote_hazard(self.participation, rec.voting_period):
                continue
            if gap is None:
                params = exchange.params
                ratio = target_ratio(exchange.fund_health(), params.fund_target_basis)
                gap = health_gap(ratio, params.fund_target)
            p = support_probability(
                self.role,
                rec.proposal.effect(exchange.params),
                gap,
                social_signal(*gov.neighbour_votes(self.holder, rec.id)),
                influence=gov.params.influence,
            )
            support = bool(rng.random() < p)
            gov.vote(self.holder, rec.id, support)
            self.last_vote = 1.0 if support else 0.0


class RiskSteward(mesa.Agent):
    """Watches fund health and proposes what the policy calls for; votes for its own proposals.

    It is also the guardian: while the fund is depleted its injection takes the emergency
    track. Otherwise it proposes only once the fund has stood on the same side of its band
    for `patience` hours in a row, so the ramp-up of open interest at the start of a run
    or a passing spike does not trigger a proposal. It remembers the last open interest
    (or TVL, when that is the target's base) it could infer from fund health, to size an
    injection into an empty fund.
    """

    def __init__(self, model: mesa.Model, holder: int) -> None:
        super().__init__(model)
        self.holder = holder
        self.rounds = 0
        self.signal = 0
        self.streak = 0
        self.base: float | None = None

    def observe(self, health: FundHealthLike, target: float, basis: str = "open_interest") -> None:
        """Update the run of steps spent on one side of the band."""
        p = self.model.governance.params
        signal = fund_signal(health, target, p.low_band, p.high_band, basis)
        self.streak = self.streak + 1 if signal == self.signal else 1
        self.signal = signal
        self.base = implied_base(health, basis) or self.base

    def step(self) -> None:
        gov: Governance = self.model.governance
        for rec in gov.active:
            if rec.proposer == self.holder and not gov.has_voted(self.holder, rec.id):
                gov.vote(self.holder, rec.id, True)
        exchange = gov.exchange
        health = exchange.fund_health()
        self.observe(health, exchange.params.fund_target, exchange.params.fund_target_basis)
        emergency = health.depleted and gov.governor.params.emergency_fast_track
        if gov.governor.live_proposal(self.holder, emergency) is not None:
            return
        if not health.depleted and (self.signal == 0 or self.streak < gov.patience_steps):
            return
        proposal = steward_proposal(
            health,
            exchange.params,
            exchange.ledger.balance(TREASURY_ACCOUNT),
            low_band=gov.params.low_band,
            high_band=gov.params.high_band,
            round_=self.rounds,
            base=self.base,
        )
        if proposal is not None:
            gov.propose(self.holder, proposal)
            self.rounds += 1


def create_governance_agents(model: mesa.Model) -> list[mesa.Agent]:
    """One Voter per voter holder (some linked to traders or LPs) and one RiskSteward.

    Reads `model.governance`, `model.traders` and `model.lps`; creates nothing when
    governance is disabled.
    """
    gov: Governance | None = getattr(model, "governance", None)
    if gov is None or not gov.enabled:
        return []
    traders = list(getattr(model, "traders", None) or [])
    lps = list(getattr(model, "lps", None) or [])
    n = len(gov.voters)
    roles = assign_roles(model.rng, n, gov.params.trader_share, gov.params.lp_share)
    rates = participation_rates(model.rng, n, gov.params.turnout)
    agents: list[mesa.Agent] = []
    for holder, role, rate in zip(gov.voters, roles, rates, strict=True):
        trader = (
            traders[int(model.rng.integers(len(traders)))] if role == "trader" and traders else None
        )
        lp = lps[int(model.rng.integers(len(lps)))] if role == "lp" and lps else None
        agents.append(Voter(model, holder, role, float(rate), trader=trader, lp=lp))
    agents.append(RiskSteward(model, gov.steward))
    return agents


def step_governance(model: mesa.Model) -> None:
    """Governance's share of a model step, after the exchange has moved for the step.

    The steward votes on and makes proposals, voters vote in random order (only while a
    proposal is active), then `Governance.step()` runs the attack and advances the
    governor, so proposals made this step are recorded at this step.
    """
    gov: Governance | None = getattr(model, "governance", None)
    if gov is None or not gov.enabled:
        return
    by_type = model.agents_by_type
    if RiskSteward in by_type:
        by_type[RiskSteward].do("step")
    if Voter in by_type and gov.active:
        by_type[Voter].shuffle_do("step")
    gov.step()


GOVERNANCE_COLUMNS = (
    "active_proposals",
    "proposals_passed",
    "proposals_failed",
    "treasury_injected",
    "turnout_last",
    "fund_target",
)


COUNT_COLUMNS = frozenset({"active_proposals", "proposals_passed", "proposals_failed"})


def governance_column(model: mesa.Model, column: str) -> float | int:
    """One governance column (counts as ints); 0 (fund_target: the exchange's) without
    governance."""
    gov = getattr(model, "governance", None)
    kind = int if column in COUNT_COLUMNS else float
    if gov is None:
        return kind(model.exchange.params.fund_target if column == "fund_target" else 0)
    return kind(getattr(gov, column))


def _column_reporter(column: str) -> Callable[[Any], Any]:
    def report(model: mesa.Model) -> float | int:
        return governance_column(model, column)

    report.__name__ = column
    return report


def governance_model_reporters() -> dict[str, Callable[[Any], Any]]:
    """Model columns read from `model.governance`.

    Plain functions of the model: Mesa 3.4's reporter validation calls any other callable
    (a `functools.partial` included) with no arguments.
    """
    return {c: _column_reporter(c) for c in GOVERNANCE_COLUMNS}


def voter_agent_reporters() -> dict[str, str]:
    """Per-voter columns for `agenttype_reporters={Voter: ...}`."""
    return {"tokens": "tokens", "voting_power": "voting_power", "last_vote": "last_vote"}


def voter_columns(model) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The same columns for every voter, reading balances and delegations once."""
    voters = list(model.agents_by_type[Voter]) if Voter in model.agent_types else []
    ids = np.array([v.unique_id for v in voters], dtype=np.int64)
    if not voters:
        empty = np.zeros(0)
        return ids, {"tokens": empty, "voting_power": empty, "last_vote": empty}
    gov = model.governance
    holders = np.array([v.holder for v in voters], dtype=np.int64)
    return ids, {
        "tokens": gov.token.balances[holders].astype(np.float64),
        "voting_power": gov.network.powers(gov.token)[holders],
        "last_vote": np.array([v.last_vote for v in voters], dtype=np.float64),
    }
