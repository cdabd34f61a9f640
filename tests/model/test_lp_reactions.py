"""LPs under stress redeem at a rate per hour, for a while after each trigger."""

import math

import pytest

from abm import ExchangeModel
from abm.agents.traders import APPETITE_FLOOR, fund_appetite

RATE, STRESS = 0.005, 48.0


def vault(step_hours=1.0) -> ExchangeModel:
    """One LP that never reviews its stake by itself, and no traders."""
    return ExchangeModel(
        rng=1,
        n_traders=0,
        governance_enabled=False,
        market={"step_hours": step_hours},
        lps={"count": 1, "activity": 0.0, "outflow_rate": RATE, "stress_hours": STRESS},
    )


def shares(m: ExchangeModel) -> float:
    return m.exchange.vault.shares[m.lps[0].account]


@pytest.mark.parametrize("step_hours", [1.0, 0.25])
def test_after_an_adl_an_lp_redeems_at_its_rate_until_the_stress_ends(step_hours):
    m = vault(step_hours)
    start = shares(m)
    m.exchange.stats.adl_volume += 1.0
    for _ in range(round(24 / step_hours)):
        m.step()
    assert shares(m) == pytest.approx(start * (1 - RATE) ** 24, rel=1e-9)
    for _ in range(round(48 / step_hours)):
        m.step()
    assert shares(m) == pytest.approx(start * (1 - RATE) ** STRESS, rel=1e-9)
    m.check()


@pytest.mark.parametrize(
    ("state", "stressed"),
    [
        ({}, False),
        ({"fund_confidence": 0.29}, True),
        ({"fund_confidence": 0.31}, False),
        ({"vault_drawdown": 0.02}, True),
        ({"vault_drawdown": 0.019}, False),
    ],
)
def test_a_weak_fund_or_a_vault_loss_stresses_the_lp(state, stressed):
    m = vault()
    m.exchange.step = 10
    for key, value in state.items():
        setattr(m, key, value)
    start = shares(m)
    m.lps[0].step()
    assert shares(m) == pytest.approx(start * (1 - RATE) if stressed else start, rel=1e-12)
    assert m.lps[0].stressed_until == (10 + STRESS if stressed else -math.inf)


def test_no_stress_no_outflow_on_a_quiet_vault():
    m = vault()
    start = shares(m)
    for _ in range(100):
        m.step()
    assert shares(m) == start


@pytest.mark.parametrize(
    ("confidence", "sensitivity", "factor"),
    [
        (1.0, 0.3, 1.0),
        (2.0, 0.3, 1.3),
        (9.0, 0.3, 1.3),
        (0.0, 0.3, 0.7),
        (-1.0, 0.3, 0.7),
        (0.0, 5.0, APPETITE_FLOOR),
        (2.0, 5.0, 6.0),
        (0.5, 0.0, 1.0),
    ],
)
def test_fund_health_scales_leverage_within_bounds(confidence, sensitivity, factor):
    assert fund_appetite(confidence, sensitivity) == pytest.approx(factor)
