"""The funding_squeeze preset: funding climbs, longs are bled and liquidated without a crash."""

import pytest

from abm import ExchangeModel, load_scenario
from abm.agents.params import STYLES


def run(**overrides):
    scenario = load_scenario("funding_squeeze", {"traders.count": 300, **overrides})
    model = ExchangeModel(preset=scenario, rng=1)
    for _ in range(600):
        model.step()
    model.check()
    return model.datacollector.get_model_vars_dataframe(), model.events_frame()


@pytest.fixture(scope="module")
def squeeze():
    return run()


@pytest.fixture(scope="module")
def without_funding():
    return run(**{"exchange.funding_rule": "none"})


def skew(df):
    return ((df.long_oi - df.short_oi) / (df.long_oi + df.short_oi))[100:].mean()


def test_funding_climbs_and_bleeds_the_crowded_longs(squeeze):
    df, _ = squeeze
    assert df.funding_rate[100:300].mean() > 1.5 * df.funding_rate[1:49].mean() > 0
    assert df.funding_paid_longs.iloc[-1] > 0.25 * df.long_oi.mean()
    assert df.funding_paid_shorts.iloc[-1] < 0  # shorts are paid
    assert df.pool_net_funding.iloc[-1] == pytest.approx(
        df.funding_paid_longs.iloc[-1] + df.funding_paid_shorts.iloc[-1], rel=1e-9
    )


def test_longs_are_liquidated_above_their_entry_without_a_crash(squeeze, without_funding):
    df, ev = squeeze
    assert df.price.min() > 0.9 * df.price.iloc[0]
    liq = ev[ev.kind == "liquidation"]
    bled = liq[(liq.side == 1) & (liq.mark >= liq.entry)]
    ev0 = without_funding[1]
    liq0 = ev0[ev0.kind == "liquidation"]
    bled0 = liq0[(liq0.side == 1) & (liq0.mark >= liq0.entry)]
    assert len(bled) >= 20
    assert len(bled) > 5 * len(bled0)


def test_funding_pushes_the_skew_back_and_changes_the_funds_inflows(squeeze, without_funding):
    df, _ = squeeze
    df0, _ = without_funding
    assert skew(df0) > 0.7
    assert skew(df) < 0.5 * skew(df0)
    assert df.fund_inflow_penalty.iloc[-1] > 1.1 * df0.fund_inflow_penalty.iloc[-1]


def test_basis_traders_take_the_side_that_receives_funding():
    scenario = load_scenario("funding_squeeze", {"traders.count": 300, "traders.mix.basis": 0.3})
    model = ExchangeModel(preset=scenario, rng=2)
    sides = []
    for _ in range(300):
        model.step()
        rate = model.exchange.funding_rate
        basis = model.trader_state.style == STYLES.index("basis")
        size = model.exchange.book.size[basis]
        if rate > 0:
            sides.extend(size[size != 0] < 0)
    assert len(sides) > 1_000
    assert sum(sides) / len(sides) > 0.8  # mostly short while longs pay


def test_traders_who_mind_funding_cut_the_crowded_side_and_pay_less(squeeze):
    df, _ = squeeze
    minded, _ = run(**{"traders.funding_tolerance": 0.05})
    assert skew(minded) < skew(df)
    assert minded.funding_paid_longs.iloc[-1] < df.funding_paid_longs.iloc[-1]
