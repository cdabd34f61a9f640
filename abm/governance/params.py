"""Governance parameters: what a scenario's `governance` section sets.

They live apart from the governance machinery so that reading and checking a scenario
imports neither networkx nor the governor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..exchange.ranges import check_fields, check_range, ranged
from .interfaces import TREASURY_ACCOUNT
from .validation import check_choice, check_flag, check_int

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

    proposal_threshold: float = ranged(0.0025, "[0, 1]")
    voting_delay: int = ranged(24, "[0, 1e9]", whole=True)
    voting_period: int = ranged(72, "[1, 1e9]", whole=True)
    quorum: float = ranged(0.04, "[0, 1]")
    approval: float = ranged(0.5, "[0, 1)")
    timelock: int = ranged(48, "[0, 1e9]", whole=True)
    grace_period: int = ranged(336, "[1, 1e9]", whole=True)
    snapshot_voting: bool = True
    emergency_fast_track: bool = True
    emergency_voting_period: int = ranged(6, "[1, 1e9]", whole=True)
    guardian_veto: bool = True

    def __post_init__(self) -> None:
        check_fields(self)
        check_flag("snapshot_voting", self.snapshot_voting)
        check_flag("emergency_fast_track", self.emergency_fast_track)
        check_flag("guardian_veto", self.guardian_veto)

    @classmethod
    def undefended(cls) -> GovernorParams:
        """Beanstalk, April 2022: power at vote time, no voting delay, no timelock."""
        return cls(voting_delay=0, snapshot_voting=False, timelock=0)


@dataclass(frozen=True)
class AttackParams:
    enabled: bool = False
    start: int = ranged(200, "[1, 1e9]", whole=True)
    """The hour of the flash-loan vote."""
    borrow_multiple: float = ranged(1.0, "(0, 1000]")
    stake_share: float = ranged(0.005, "[0, 1)")
    drain_share: float = ranged(1.0, "(0, 1]")
    account: str = "attacker"

    def __post_init__(self) -> None:
        check_fields(self, "attack.")
        check_flag("attack.enabled", self.enabled)
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
    n_voters: int = ranged(200, "[3, 100000]", whole=True)
    network: str = "watts_strogatz"
    degree: int = 6
    rewire: float = ranged(0.1, "[0, 1]")
    delegation_fraction: float = ranged(0.3, "[0, 1]")
    supply: float = ranged(10_000_000.0, "(0, 1e15]")
    holder_alpha: float = ranged(1.5, "(0, 10]")
    treasury_share: float = ranged(0.2, "[0, 1]")
    steward_share: float = 0.01
    turnout: float = ranged(0.3, "[0, 1]")
    influence: float = ranged(1.0, "[0, 10]")
    trader_share: float = ranged(0.4, "[0, 1]")
    lp_share: float = 0.2
    low_band: float = ranged(0.8, "(0, 1]")
    high_band: float = ranged(1.5, "[1, 100]")
    patience: int = ranged(24, "[1, 100000]", whole=True)
    governor: GovernorParams = field(default_factory=GovernorParams)
    attack: AttackParams = field(default_factory=AttackParams)

    def __post_init__(self) -> None:
        check_fields(self, "governance.")
        check_flag("governance.enabled", self.enabled)
        check_choice("governance.network", self.network, NETWORK_KINDS)
        check_int("governance.degree", self.degree, 2, self.n_voters - 1)
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
        check_range("governance.lp_share", self.lp_share, 0.0, 1.0 - self.trader_share)

    @property
    def voter_share(self) -> float:
        stake = self.attack.stake_share if self.attack.enabled else 0.0
        return 1.0 - self.treasury_share - self.steward_share - stake
