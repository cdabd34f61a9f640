"""Funding is per market: each market pays under its own rule, and the venue's columns
are the sums of the markets' (the rate: the first market's)."""

import pytest

from abm import ExchangeModel

FUNDING = ("funding_paid_longs", "funding_paid_shorts", "pool_net_funding")

VENUE = """
extends = "calm"
fund_scope = "shared"

[[markets]]
name = "BTC"
tier = "major"
weight = 0.5
liquidity = 0.5
exchange = { funding_rule = "hyperliquid" }

[[markets]]
name = "ETH"
tier = "major"
weight = 0.5
liquidity = 0.5
"""


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    path = tmp_path_factory.mktemp("funding") / "two_markets.toml"
    path.write_text(VENUE)
    model = ExchangeModel(preset=str(path), n_traders=200, governance_enabled=False, rng=1)
    for _ in range(200):
        model.step()
        model.check()
    return model


def test_each_market_pays_funding_under_its_own_rule(venue):
    frame = venue.market_frame()
    eth = frame[frame["market"] == "ETH"]
    btc = frame[frame["market"] == "BTC"]
    assert (eth[["funding_rate", *FUNDING]] == 0).all().all()  # no rule: nothing paid
    assert (btc["funding_rate"] != 0).sum() > 100  # Hyperliquid: every hour
    last = btc.iloc[-1]
    assert abs(last["funding_paid_longs"]) > 0 and abs(last["funding_paid_shorts"]) > 0
    # zero-sum inside the market: what longs and shorts pay, the pool receives
    assert last["pool_net_funding"] == pytest.approx(
        last["funding_paid_longs"] + last["funding_paid_shorts"], rel=1e-9
    )


def test_the_venue_columns_are_the_markets_sums(venue):
    frame = venue.market_frame()
    ts = venue.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    sums = frame.groupby("step")[list(FUNDING)].sum()
    for column in FUNDING:
        assert ts[column].to_numpy() == pytest.approx(sums[column].to_numpy(), rel=1e-12)
    first = frame[frame["market"] == "BTC"]["funding_rate"].to_numpy()
    assert ts["funding_rate"].to_numpy() == pytest.approx(first, rel=0, abs=0)


def test_a_single_market_frame_carries_its_funding_columns():
    model = ExchangeModel(preset="funding_squeeze", n_traders=100, governance_enabled=False, rng=2)
    for _ in range(30):
        model.step()
    frame = model.market_frame()
    ts = model.datacollector.get_model_vars_dataframe()
    assert frame["funding_rate"].tolist() == ts["funding_rate"].tolist()
    assert frame["pool_net_funding"].iloc[-1] == ts["pool_net_funding"].iloc[-1] != 0
