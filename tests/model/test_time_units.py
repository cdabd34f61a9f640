"""The same market at one-hour and at fifteen-minute steps gives the same daily figures."""

import numpy as np
import pytest

from abm import ExchangeModel
from abm.exchange.clock import Clock

HOURS = 24 * 20
SEEDS = range(1, 7)


def daily(step_hours: float, seed: int) -> dict[str, float]:
    model = ExchangeModel(
        preset="calm",
        n_traders=300,
        governance_enabled=False,
        market={"step_hours": step_hours},
        rng=seed,
    )
    for _ in range(round(HOURS / step_hours)):
        model.step()
    m, days = model.metrics, HOURS / 24
    return {
        "liquidations": m["liquidations"] / days,
        "fees": m["fund_inflow_fees"] / days,
        "fund_growth": (m["insurance_fund"] - 250_000.0) / days,
        "open_interest": float(
            model.datacollector.get_model_vars_dataframe()["open_interest"].mean()
        ),
    }


@pytest.mark.slow
def test_daily_figures_do_not_depend_on_the_step_length():
    hourly = [daily(1.0, s) for s in SEEDS]
    quarter = [daily(0.25, s) for s in SEEDS]
    for key in hourly[0]:
        a = np.array([r[key] for r in hourly])
        b = np.array([r[key] for r in quarter])
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        # a two-sample test at about 4 standard errors, or 15 % where seeds agree closely
        assert abs(a.mean() - b.mean()) <= max(4 * se, 0.15 * abs(a.mean())), (key, a, b)


def test_clock_conversions():
    quarter = Clock(0.25)
    assert quarter.steps(24.0) == 96
    assert quarter.chance(0.02) == pytest.approx(1 - 0.98**0.25)
    assert 1 - (1 - quarter.chance(0.02)) ** 4 == pytest.approx(0.02)
    assert quarter.amount(0.5) == pytest.approx(0.125)
    assert Clock(1.0).chance(0.3) == pytest.approx(0.3)


def test_governance_delays_fit_in_steps_at_second_resolution():
    """Two weeks of grace at 3.6-second steps is 336,000 steps, not an error."""
    model = ExchangeModel(n_traders=5, market={"step_hours": 0.001}, rng=1)
    assert model.governance.governor.params.grace_period == 336_000
