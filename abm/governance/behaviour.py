"""How a token holder votes: interest, view of fund health, and what its neighbours did.

Pure functions, so the Mesa `Voter` stays thin and the rules can be tested alone. A
voter's utility for a proposal is its role's interest in the proposal's effect plus
its reading of fund health; its neighbours' votes tilt the odds; a logistic turns the
sum into the probability of voting for.
"""

from __future__ import annotations

import math

import numpy as np

from .proposals import Effect

ROLES = ("trader", "lp", "holder")

# Weights of each effect component in a role's interest. Traders pay penalties and fees;
# LPs stand behind the fund in the loss waterfall and earn the LP fee share; plain
# holders mind the treasury. Everyone gains a little from a fund that protects the venue.
ROLE_WEIGHTS: dict[str, dict[str, float]] = {
    "trader": {"fund": 0.3, "trader_cost": -1.0, "lp_income": 0.0, "treasury": 0.0},
    "lp": {"fund": 1.0, "trader_cost": 0.0, "lp_income": 1.0, "treasury": 0.0},
    "holder": {"fund": 0.3, "trader_cost": 0.0, "lp_income": 0.0, "treasury": 1.0},
}
HOSTILE_PENALTY = 5.0
HEALTH_WEIGHT = 1.5
SHARPNESS = 2.0


def interest(role: str, effect: Effect) -> float:
    """What a holder in `role` gains (> 0) or loses (< 0) from the effect."""
    w = ROLE_WEIGHTS[role]
    u = (
        w["fund"] * effect.fund
        + w["trader_cost"] * effect.trader_cost
        + w["lp_income"] * effect.lp_income
        + w["treasury"] * effect.treasury
    )
    return u - HOSTILE_PENALTY if effect.hostile else u


def health_gap(fund_to_oi: float, target: float) -> float:
    """+1 with the fund empty, 0 on target, down to -1 at twice the target or more.

    No open interest (an infinite ratio) reads as a fund far above target.
    """
    if target <= 0 or math.isnan(fund_to_oi):
        return 0.0
    return float(np.clip((target - fund_to_oi) / target, -1.0, 1.0))


def social_signal(n_for: int, n_against: int) -> float:
    """Net lean of neighbours who already voted, in [-1, 1]; 0 when none has."""
    n = n_for + n_against
    return (n_for - n_against) / n if n else 0.0


def support_probability(
    role: str,
    effect: Effect,
    gap: float,
    social: float,
    *,
    influence: float,
) -> float:
    """Probability of voting for: own interest, fund health, and neighbours' lean."""
    utility = interest(role, effect) + HEALTH_WEIGHT * gap * effect.fund
    return 1.0 / (1.0 + math.exp(-(SHARPNESS * utility + influence * social)))


def vote_hazard(participation: float, voting_period: int) -> float:
    """Chance to vote in one step so that the chance over the whole vote is `participation`."""
    if participation >= 1.0:
        return 1.0
    return 1.0 - (1.0 - participation) ** (1.0 / max(voting_period, 1))


def participation_rates(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Per-voter turnout drawn from a Beta with the given mean: some always vote, most rarely."""
    if mean <= 0.0 or mean >= 1.0:
        return np.full(n, float(np.clip(mean, 0.0, 1.0)))
    concentration = 2.0
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size=n)


def assign_roles(
    rng: np.random.Generator, n: int, trader_share: float, lp_share: float
) -> list[str]:
    """Each voter's role: trader, LP, or plain holder, in the given proportions."""
    p = [trader_share, lp_share, max(0.0, 1.0 - trader_share - lp_share)]
    return [ROLES[i] for i in rng.choice(3, size=n, p=np.array(p) / sum(p))]
