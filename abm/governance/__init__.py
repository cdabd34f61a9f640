"""Token-holder governance of the exchange: token, voter network, governor, attack.

Plain Python, numpy and networkx; the Mesa agents that use it live in
`abm.agents.voters`. The model builds a `Governance` from `GovernanceParams`, its
numpy Generator and the exchange, and calls `Governance.step()` once per step after
the governance agents have acted. Timing and counting conventions are documented in
`abm.governance.governor`.

Names load on first use, so that `abm.governance.params` (what a scenario sets) can be
read without importing networkx.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "attack": ["FlashLoanAttack"],
        "behaviour": [
            "ROLES",
            "assign_roles",
            "health_gap",
            "participation_rates",
            "social_signal",
            "support_probability",
            "vote_hazard",
        ],
        "facade": ["Governance"],
        "governor": ["Governor", "ProposalRecord", "ProposalRejected", "ProposalState"],
        "network": ["VoterNetwork", "build_network"],
        "params": ["AttackParams", "GovernanceParams", "GovernorParams", "NETWORK_KINDS"],
        "policy": ["fund_signal", "implied_base", "injection_size", "steward_proposal"],
        "proposals": [
            "Effect",
            "InjectFromTreasury",
            "ParamChange",
            "Proposal",
            "SetFeeShares",
            "SetFundTarget",
            "SetMaxLeverage",
            "SetPenaltyRate",
            "SetPenaltySplit",
            "TreasuryTransfer",
        ],
        "token": ["GENESIS_STEP", "Token", "pareto_allocation"],
    },
)
