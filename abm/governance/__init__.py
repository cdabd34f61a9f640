"""Token-holder governance of the exchange: token, voter network, governor, attack.

Plain Python, numpy and networkx; the Mesa agents that use it live in
`abm.agents.voters`. The model builds a `Governance` from `GovernanceParams`, its
numpy Generator and the exchange, and calls `Governance.step()` once per step after
the governance agents have acted. Timing and counting conventions are documented in
`abm.governance.governor`.
"""

from .attack import AttackParams, FlashLoanAttack
from .behaviour import (
    ROLES,
    assign_roles,
    health_gap,
    participation_rates,
    social_signal,
    support_probability,
    vote_hazard,
)
from .facade import Governance, GovernanceParams
from .governor import (
    Governor,
    GovernorParams,
    ProposalRecord,
    ProposalRejected,
    ProposalState,
)
from .network import NETWORK_KINDS, VoterNetwork, build_network
from .policy import fund_signal, implied_open_interest, injection_size, steward_proposal
from .proposals import (
    Effect,
    InjectFromTreasury,
    ParamChange,
    Proposal,
    SetFeeShares,
    SetFundTarget,
    SetMaxLeverage,
    SetPenaltyRate,
    SetPenaltySplit,
    TreasuryTransfer,
)
from .token import GENESIS_STEP, Token, pareto_allocation

__all__ = [
    "GENESIS_STEP",
    "NETWORK_KINDS",
    "ROLES",
    "AttackParams",
    "Effect",
    "FlashLoanAttack",
    "Governance",
    "GovernanceParams",
    "Governor",
    "GovernorParams",
    "InjectFromTreasury",
    "ParamChange",
    "Proposal",
    "ProposalRecord",
    "ProposalRejected",
    "ProposalState",
    "SetFeeShares",
    "SetFundTarget",
    "SetMaxLeverage",
    "SetPenaltyRate",
    "SetPenaltySplit",
    "Token",
    "TreasuryTransfer",
    "VoterNetwork",
    "assign_roles",
    "build_network",
    "fund_signal",
    "health_gap",
    "implied_open_interest",
    "injection_size",
    "pareto_allocation",
    "participation_rates",
    "social_signal",
    "steward_proposal",
    "support_probability",
    "vote_hazard",
]
