"""Governance parameters: what a scenario's `governance` section sets.

They live apart from the governance machinery so that reading and checking a scenario
imports neither networkx nor the governor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..exchange.params import check_range
from .interfaces import TREASURY_ACCOUNT
from .validation import check_choice, check_flag, check_int

MAX_STEPS = 10**9
NETWORK_KINDS = ("watts_strogatz", "barabasi_albert")


@dataclass(frozen=True)
class GovernorParams:
    """Compound Bravo / OpenZeppelin defaults. In a scenario the durations are hours;
    `Governance` hands the governor a copy converted to steps (`governor_in_steps`).

    `snapshot_voting=False` reads power when the vote is cast: the Beanstalk flaw.
    The emergency fast track lets the guardian put an `InjectFromTreasury` to a vote
    while the fund is depleted with no voting delay, a vote of `emergency_voting_period`
    hours and no timelock. With `guardian_veto` the guardian cancels a queued proposal
    that would send treasury money outside the protocol, if the timelock leaves it time.
    """

    proposal_threshold: float = 0.0025
    voting_delay: int = 24
    voting_period: int = 72
    quorum: float = 0.04
    approval: float = 0.5
    timelock: int = 48
    grace_period: int = 336
    snapshot_voting: bool = True
    emergency_fast_track: bool = True
    emergency_voting_period: int = 6
    guardian_veto: bool = True

    def __post_init__(self) -> None:
        check_range("proposal_threshold", self.proposal_threshold, 0.0, 1.0)
        check_int("voting_delay", self.voting_delay, 0, MAX_STEPS)
        check_int("voting_period", self.voting_period, 1, MAX_STEPS)
        check_range("quorum", self.quorum, 0.0, 1.0)
        check_range("approval", self.approval, 0.0, 1.0, hi_open=True)
        check_int("timelock", self.timelock, 0, MAX_STEPS)
        check_int("grace_period", self.grace_period, 1, MAX_STEPS)
        check_flag("snapshot_voting", self.snapshot_voting)
        check_flag("emergency_fast_track", self.emergency_fast_track)
        check_int("emergency_voting_period", self.emergency_voting_period, 1, MAX_STEPS)
        check_flag("guardian_veto", self.guardian_veto)

    @classmethod
    def undefended(cls) -> GovernorParams:
        """Beanstalk, April 2022: power at vote time, no voting delay, no timelock."""
        return cls(voting_delay=0, snapshot_voting=False, timelock=0)


@dataclass(frozen=True)
class AttackParams:
    enabled: bool = False
    start: int = 200
    """The hour of the flash-loan vote."""
    borrow_multiple: float = 1.0
    stake_share: float = 0.005
    drain_share: float = 1.0
    account: str = "attacker"

    def __post_init__(self) -> None:
        check_flag("attack.enabled", self.enabled)
        check_int("attack.start", self.start, 1, 10**9)
        check_range("attack.borrow_multiple", self.borrow_multiple, 0.0, 1000.0, lo_open=True)
        check_range("attack.stake_share", self.stake_share, 0.0, 1.0, hi_open=True)
        check_range("attack.drain_share", self.drain_share, 0.0, 1.0, lo_open=True)
        if not self.account or self.account == TREASURY_ACCOUNT:
            raise ValueError(f"attack.account must name an outside account, got {self.account!r}")


@dataclass(frozen=True)
class GovernanceParams:
    """Who holds the token, how they are connected, how they vote, and the rules.

    Shares of `supply`: the treasury holds `treasury_share` (it never votes), the risk
    steward `steward_share` (enough to propose), the attacker `attack.stake_share` when
    the attack is on, and the voters the rest, Pareto-distributed with `holder_alpha`.
    The steward proposes once fund / open interest has stayed below `low_band` or above
    `high_band` times the exchange's `fund_target` for `patience` hours.
    """

    enabled: bool = True
    n_voters: int = 200
    network: str = "watts_strogatz"
    degree: int = 6
    rewire: float = 0.1
    delegation_fraction: float = 0.3
    supply: float = 10_000_000.0
    holder_alpha: float = 1.5
    treasury_share: float = 0.2
    steward_share: float = 0.01
    turnout: float = 0.3
    influence: float = 1.0
    trader_share: float = 0.4
    lp_share: float = 0.2
    low_band: float = 0.8
    high_band: float = 1.5
    patience: int = 24
    governor: GovernorParams = field(default_factory=GovernorParams)
    attack: AttackParams = field(default_factory=AttackParams)

    def __post_init__(self) -> None:
        check_flag("governance.enabled", self.enabled)
        n = check_int("governance.n_voters", self.n_voters, 3, 100_000)
        check_choice("governance.network", self.network, NETWORK_KINDS)
        check_int("governance.degree", self.degree, 2, n - 1)
        check_range("governance.rewire", self.rewire, 0.0, 1.0)
        check_range("governance.delegation_fraction", self.delegation_fraction, 0.0, 1.0)
        check_range("governance.supply", self.supply, 0.0, 1e15, lo_open=True)
        check_range("governance.holder_alpha", self.holder_alpha, 0.0, 10.0, lo_open=True)
        check_range("governance.treasury_share", self.treasury_share, 0.0, 1.0)
        check_range(
            "governance.steward_share",
            self.steward_share,
            self.governor.proposal_threshold,
            1.0,
        )
        if self.attack.enabled and self.attack.stake_share < self.governor.proposal_threshold:
            raise ValueError(
                f"attack.stake_share must be at least the proposal threshold "
                f"({self.governor.proposal_threshold:g}), got {self.attack.stake_share!r}"
            )
        if self.voter_share <= 0:
            raise ValueError(
                "governance.treasury_share + steward_share + attack.stake_share must be "
                f"below 1, got {1.0 - self.voter_share:g}"
            )
        check_range("governance.turnout", self.turnout, 0.0, 1.0)
        check_range("governance.influence", self.influence, 0.0, 10.0)
        check_range("governance.trader_share", self.trader_share, 0.0, 1.0)
        check_range("governance.lp_share", self.lp_share, 0.0, 1.0 - self.trader_share)
        check_range("governance.low_band", self.low_band, 0.0, 1.0, lo_open=True)
        check_range("governance.high_band", self.high_band, 1.0, 100.0)
        check_int("governance.patience", self.patience, 1, 100_000)

    @property
    def voter_share(self) -> float:
        stake = self.attack.stake_share if self.attack.enabled else 0.0
        return 1.0 - self.treasury_share - self.steward_share - stake
