"""Several markets in the model: conservation and the waterfall identity per market after
every step, totals equal to the per-market table, fund scopes side by side."""

import math

import numpy as np
import pandas as pd
import pytest

from abm import ExchangeModel
from abm.batch import run
from abm.exchange.market import FlashCrash
from abm.scenarios import ScenarioError, load_scenario

STAGES = ("fund_covered", "lp_loss", "adl_covered", "socialized_loss", "unresolved_bad_debt")
SUMMED = ("open_interest", "bad_debt", "liquidations", "liquidation_volume", *STAGES)


def play(preset, steps, **settings):
    """Step `preset`, checking money and every market's waterfall after each step."""
    model = ExchangeModel(preset=preset, n_traders=300, governance_enabled=False, **settings)
    for _ in range(steps):
        model.step()
        model.check()
        row = model.metrics
        parts = sum(row[s] for s in STAGES)
        assert parts == pytest.approx(row["bad_debt"], rel=1e-9, abs=1e-6)
    return model


@pytest.fixture(scope="module")
def crash():
    return play("multi_market_crash", 320, rng=3)


def test_the_model_columns_are_the_totals_of_the_market_table(crash):
    frame = crash.market_frame()
    ts = crash.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    assert list(frame["market"].unique()) == ["BTC", "ETH", "SOL", "DOGE"]
    assert len(frame) == 4 * len(ts)
    sums = frame.groupby("step")[list(SUMMED)].sum()
    for column in SUMMED:
        np.testing.assert_allclose(sums[column].to_numpy(), ts[column].to_numpy(), rtol=1e-9)
    for _, rows in frame.groupby("step"):
        assert rows["fund_balance"].nunique() == 1  # one shared fund
    last = frame[frame["step"] == frame["step"].max()].set_index("market")
    assert last["fund_share"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(
        last[list(STAGES)].sum(axis=1), last["bad_debt"], rtol=1e-9, atol=1e-6
    )


def test_the_crash_on_the_factor_drags_the_alts_by_their_beta(crash):
    frame = crash.market_frame().pivot(index="step", columns="market", values="price")
    fall = frame.loc[303] / frame.loc[299] - 1
    assert fall["BTC"] < -0.08
    assert fall["BTC"] > fall["ETH"] > fall["SOL"] > fall["DOGE"]
    assert crash.metrics["bad_debt"] > 0


def test_the_extra_flash_crash_hits_every_market_its_own_shocks_or_not():
    """venue_hyperliquid scripts a crash in each market (ETH's and DOGE's their own); the
    extra crash is added to each, and every price falls by it (the same random paths)."""
    prices = {}
    for size in (0.0, 0.3):
        m = ExchangeModel(
            preset="venue_hyperliquid", rng=1, n_traders=60, shock_size=size, shock_hour=50
        )
        shocks = [ex.market.params.shocks for ex in m.exchanges]
        assert [len(s) for s in shocks] == [2 if size else 1] * 3
        if size:
            assert {s[-1] for s in shocks} == {FlashCrash(start=50.0, drop=0.3)}
        for _ in range(56):  # the crash reaches its bottom in 6 hours
            m.step()
        prices[size] = np.array([ex.market.price for ex in m.exchanges])
    np.testing.assert_allclose(prices[0.3] / prices[0.0], 0.7, rtol=0.03)


def test_events_name_their_market(crash):
    ev = crash.events_frame()
    liquidations = ev[ev["kind"] == "liquidation"]
    assert set(liquidations["market"]) <= {"BTC", "ETH", "SOL", "DOGE"}
    assert liquidations["market"].nunique() >= 3


@pytest.mark.parametrize("scope", ["shared", "isolated", "shared_capped"])
def test_the_long_tail_squeeze_holds_its_identities_under_every_scope(scope):
    model = play("long_tail_squeeze", 260, rng=2, fund_scope=scope)
    last = model.market_frame().groupby("market").last()
    jelly, btc = last.loc["JELLY"], last.loc["BTC"]
    assert jelly["bad_debt"] > 0
    # the squeeze is scripted at x4; liquidation flow must not run the price away on top
    frame = model.market_frame()
    assert frame.loc[frame["market"] == "JELLY", "price"].max() < 10 * 0.05
    if scope == "isolated":
        assert btc["fund_balance"] != jelly["fund_balance"]
        assert btc["fund_paid"] == pytest.approx(btc["fund_covered"], rel=1e-12)
        # JELLY's own fund: its tenth of the seed plus what its market put in
        assert jelly["fund_paid"] <= 0.1 * 250_000.0 + jelly["fund_inflow"] + 1e-6
    elif scope == "shared_capped":
        assert jelly["fund_paid"] == 0.0  # the long-tail tier's cap, Drift's speculative 0
    else:
        assert jelly["fund_paid"] > 0.0


def test_a_run_folder_holds_the_market_table(tmp_path):
    result = run("multi_market_crash", steps=5, out=tmp_path / "r")
    markets = pd.read_parquet(tmp_path / "r" / "markets.parquet")
    assert len(markets) == 4 * 6
    assert {"step", "market", "open_interest", "fund_share", "bad_debt"} <= set(markets)
    assert result.markets is not None


def test_a_single_market_gets_a_market_table_too():
    model = ExchangeModel(n_traders=50, rng=1)
    for _ in range(3):
        model.step()
    frame = model.market_frame()
    assert list(frame["market"].unique()) == ["market"] and len(frame) == 4
    assert frame["fund_balance"].iloc[-1] == model.metrics["insurance_fund"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"markets.1.beta": 11}, r"markets\[1\]\.beta must be in \[-10, 10\], got 11"),
        ({"markets.1.tier": "giant"}, r"markets\[1\]\.tier must be one of"),
        ({"fund_scope": "pooled"}, r"fund_scope must be one of 'shared', 'isolated'"),
        ({"markets.0.market": {"annual_vol": -1.0}}, r"markets\[0\]\.market\.annual_vol must"),
    ],
)
def test_a_bad_market_setting_gets_one_line_naming_it(override, message):
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario("long_tail_squeeze", override)
    assert "\n" not in str(err.value)


def test_a_bad_keyword_is_refused_before_the_model_starts():
    with pytest.raises(ValueError, match=r"fund_scope must be one of"):
        ExchangeModel(n_traders=5, fund_scope="pooled")
    with pytest.raises(ValueError, match=r"markets\[0\]\.name is required"):
        ExchangeModel(n_traders=5, markets=[{"beta": 1.0}])
    assert math.isfinite(ExchangeModel(n_traders=5, markets=[{"name": "A"}]).metrics["price"])
