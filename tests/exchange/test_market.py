"""Price process, scripted shocks, replay, impact and the oracle."""

import math

import numpy as np
import pytest

from abm.exchange import FlashCrash, Market, MarketParams, Oracle, OracleParams, Trend
from abm.exchange.market import PRICE_RANGE, jump_compensator


def quiet(**kw):
    """A market with no noise, so shocks and impact are visible exactly."""
    return Market(MarketParams(annual_vol=0.0, jump_intensity=0.0, **kw), np.random.default_rng(0))


def test_flash_crash_path():
    crash = FlashCrash(start=10, drop=0.3, duration=5, recovery=0.5, recovery_hours=10)
    m = quiet(shocks=(crash,))
    prices = [m.step() for _ in range(40)]
    assert prices[8] == pytest.approx(100.0)  # step 9: before the crash
    assert prices[13] == pytest.approx(70.0)  # step 14: the bottom after 5 steps
    assert min(prices) == pytest.approx(70.0)
    assert prices[-1] == pytest.approx(85.0)  # half of the fall recovered


def test_trend_halves_the_price_over_its_duration():
    m = quiet(shocks=(Trend(start=1, change=-0.5, duration=100),))
    prices = [m.step() for _ in range(150)]
    assert prices[49] == pytest.approx(100 * 0.5**0.5)
    assert prices[-1] == pytest.approx(50.0)


def test_gbm_volatility_matches_its_parameter():
    m = Market(MarketParams(annual_vol=0.8, jump_intensity=0.0), np.random.default_rng(1))
    prices = np.array([m.step() for _ in range(20_000)])
    r = np.diff(np.log(prices))
    assert r.std() == pytest.approx(0.8 / math.sqrt(24 * 365), rel=0.03)


def test_liquidation_flow_moves_the_price_and_fades():
    m = quiet(impact=1.0, impact_decay=0.5, depth=1_000_000.0)
    m.step()
    m.push(-100_000.0)  # selling 10 % of depth
    assert m.price == pytest.approx(100 * math.exp(-0.1))
    m.step()
    assert m.price == pytest.approx(100 * math.exp(-0.05))
    off = quiet(impact=0.0)
    off.push(-100_000.0)
    assert off.price == pytest.approx(100.0)


def test_replay_rejects_bad_close_values(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("timestamp,close\n1,100\n2,oops\n")
    with pytest.raises(ValueError, match="row 3 has 'oops'"):
        quiet(replay_path=str(path))


def test_oracle_heartbeat_lags_the_reference():
    oracle = Oracle(OracleParams(heartbeat=3), 100.0)
    seen = [oracle.update(step, 100.0 + step) for step in range(1, 8)]
    assert seen == [100.0, 100.0, 103.0, 103.0, 103.0, 106.0, 106.0]


def test_oracle_deviation_threshold_updates_early():
    oracle = Oracle(OracleParams(heartbeat=100, deviation=0.02), 100.0)
    assert oracle.update(1, 101.0) == 100.0
    assert oracle.update(2, 103.0) == 103.0


def test_oracle_freeze_then_catch_up():
    oracle = Oracle(OracleParams(freeze_start=5, freeze_hours=3), 100.0)
    seen = [oracle.update(step, 100.0 - step) for step in range(1, 10)]
    assert seen == [99.0, 98.0, 97.0, 96.0, 96.0, 96.0, 96.0, 92.0, 91.0]


def test_oracle_manipulation_window():
    oracle = Oracle(
        OracleParams(manipulation_start=2, manipulation_hours=2, manipulation=0.5), 100.0
    )
    seen = [oracle.update(step, 100.0) for step in range(1, 6)]
    assert seen == [100.0, 150.0, 150.0, 100.0, 100.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop": 1.0}, r"flash_crash.drop must be in \[0, 1\)"),
        ({"duration": 0}, "flash_crash.duration must be in"),
    ],
)
def test_bad_shock_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FlashCrash(start=1, **kwargs)


def final_over_initial(params: MarketParams, paths: int, steps: int) -> np.ndarray:
    rng = np.random.default_rng(11)
    out = np.empty(paths)
    for i in range(paths):
        m = Market(params, rng)
        for _ in range(steps):
            m.step()
        out[i] = m.price / params.initial_price
    return out


def test_zero_drift_with_jumps_is_a_martingale():
    # Strong, downward jumps: without the compensator the expected price after 500 steps is
    # about 0.30 of the start; with it the mean ratio is 1 within four standard errors.
    params = MarketParams(
        annual_vol=0.3, annual_drift=0.0, jump_intensity=0.05, jump_mean=-0.05, jump_std=0.05
    )
    ratio = final_over_initial(params, paths=1000, steps=500)
    se = ratio.std(ddof=1) / math.sqrt(ratio.size)
    assert abs(ratio.mean() - 1.0) < 4 * se
    assert se < 0.03


def test_jump_compensator_is_the_log_of_the_mean_jump_factor():
    expected = math.log(1 - 0.1 + 0.1 * math.exp(-0.02 + 0.5 * 0.04**2))
    assert jump_compensator(0.1, -0.02, 0.04) == pytest.approx(expected, rel=1e-12)
    assert jump_compensator(0.0, -0.02, 0.04) == 0.0


def test_step_variance_beyond_one_is_refused_naming_the_field_and_range():
    with pytest.raises(ValueError, match=r"annual_vol must be in \[0, 1\] with step_hours=8760"):
        MarketParams(annual_vol=20.0, step_hours=8760.0)
    MarketParams(annual_vol=1.0, step_hours=8760.0)  # the edge is allowed
    MarketParams(annual_vol=20.0, step_hours=1.0)


def test_scenario_refuses_a_step_variance_beyond_one():
    from abm import load_scenario

    with pytest.raises(ValueError, match=r"^calm: market\.annual_vol must be in \[0, 1\]"):
        load_scenario("calm", {"market.annual_vol": 20.0, "market.step_hours": 8760.0})


def test_huge_impact_on_a_thin_market_stays_within_the_price_range():
    m = quiet(depth=10_000.0, impact_decay=0.5)
    m.step()
    m.push(-1e9)  # selling 100,000 depths
    assert m.price == pytest.approx(100.0 / PRICE_RANGE)
    m.step()
    assert m.price == pytest.approx(100.0 / PRICE_RANGE)
    m.push(1e15)
    assert m.price == pytest.approx(100.0 * PRICE_RANGE)
    assert all(np.isfinite(m.history(5)))


def test_decades_of_high_volatility_keep_a_positive_price():
    m = Market(MarketParams(annual_vol=1.0, step_hours=8760.0), np.random.default_rng(3))
    prices = np.array([m.step() for _ in range(2000)])
    assert np.all(prices >= 100.0 / PRICE_RANGE * (1 - 1e-12))
    assert np.all(np.isfinite(prices))


def test_flash_crash_on_a_thin_market_runs_with_a_positive_mark():
    from abm import ExchangeModel, load_scenario

    sc = load_scenario("flash_crash", {"market.depth": 10_000.0, "governance.enabled": False})
    model = ExchangeModel(preset=sc)
    marks = []
    for _ in range(520):
        model.step()
        marks.append(model.exchange.mark)
    assert min(marks) > 0
    assert np.all(np.isfinite(marks))
