"""Several recorded series in one CSV: a column per market, the rest follow the factor."""

import numpy as np
import pytest

from abm import ExchangeModel
from abm.scenarios import ScenarioError, load_scenario

BTC = [100.0, 98.0, 90.0, 86.0, 88.0, 89.0]
ETH = [40.0, 39.0, 34.0, 32.0, 33.0, 33.5]


@pytest.fixture
def prices(tmp_path):
    rows = "".join(f"{t},{b},{e}\n" for t, (b, e) in enumerate(zip(BTC, ETH, strict=True)))
    path = tmp_path / "oct10.csv"
    path.write_text("timestamp,BTC,ETH\n" + rows)
    return str(path)


def test_replayed_markets_follow_their_columns_and_the_others_follow_btc_by_beta(prices):
    still = {"annual_vol": 0.0, "jump_intensity": 0.0, "impact": 0.0}
    model = ExchangeModel(
        n_traders=20,
        rng=1,
        governance_enabled=False,
        market=still,
        factor={"replay_path": prices, "replay_column": "BTC"},
        markets=[
            {"name": "BTC", "market": {"replay_path": prices, "replay_column": "BTC"}},
            {"name": "ETH", "market": {"replay_path": prices, "replay_column": "ETH"}},
            {"name": "ALT", "beta": 2.0},
        ],
    )
    for _ in range(len(BTC) - 1):
        model.step()
    frame = model.market_frame().pivot(index="step", columns="market", values="price")
    np.testing.assert_allclose(frame["BTC"], BTC)
    np.testing.assert_allclose(frame["ETH"], ETH)
    np.testing.assert_allclose(frame["ALT"], 100.0 * (np.array(BTC) / BTC[0]) ** 2)
    assert not model.running  # the recording has run out


def test_a_missing_column_is_named_with_its_market(prices):
    data = {
        "markets": [
            {"name": "BTC", "market": {"replay_path": prices, "replay_column": "BTC"}},
            {"name": "SOL", "market": {"replay_path": prices, "replay_column": "SOL"}},
        ]
    }
    with pytest.raises(ScenarioError, match=r"markets\[1\]\.market\.replay_path: .*'SOL'"):
        load_scenario("calm", {k: v for k, v in data.items()})
    with pytest.raises(ScenarioError, match=r"factor\.replay_path: .*'DOGE'"):
        load_scenario("calm", {"factor.replay_path": prices, "factor.replay_column": "DOGE"})
