"""Price process, scripted shocks, replay, impact and the oracle."""

import math

import numpy as np
import pytest

from abm.exchange import FlashCrash, Market, MarketParams, Oracle, OracleParams, Trend


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
