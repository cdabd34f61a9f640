"""Bad input from Python code: booleans are booleans, counts are whole numbers."""

import numpy as np
import pytest

from abm import ExchangeModel
from abm.exchange import ExchangeParams

BAD = [
    ({"governance_enabled": "no"}, "governance_enabled must be True or False, got 'no'"),
    ({"governance_enabled": 1}, "governance_enabled must be True or False, got 1"),
    ({"n_traders": 1.5}, r"n_traders must be a whole number in \[0, 10000000\], got 1.5"),
    ({"n_traders": True}, "n_traders must be a whole number"),
    ({"shock_hour": True}, "shock_hour must be a number, got True"),
    ({"agent_sample_period": 2.5}, "agent_sample_period must be a whole number"),
    ({"penalty_rate": True}, "penalty_rate must be a number, got True"),
    ({"market": {"history": 64.5}}, "market.history must be a whole number, got 64.5"),
    ({"exchange": {"partial_liquidation": "no"}}, "exchange.partial_liquidation must be True"),
    ({"market": {"replay_scale": 0}}, "market.replay_scale must be True or False, got 0"),
    ({"exchange": {"engine_liquidates": 1}}, "exchange.engine_liquidates must be True or False"),
    ({"liquidators": {"count": 2.5}}, "liquidators.count must be a whole number"),
    ({"lps": {"count": 2.5}}, "lps.count must be a whole number"),
    ({"governance": {"enabled": "no"}}, "governance.enabled must be True or False"),
    (
        {"exchange": ExchangeParams(bankrupt_penalty_to_liquidator="yes")},
        "exchange.bankrupt_penalty_to_liquidator must be True or False, got 'yes'",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_wrong_kinds_are_one_value_error_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ExchangeModel(**{"n_traders": 5, **kwargs})


def test_governance_off_means_off_and_whole_floats_and_numpy_ints_are_counts():
    m = ExchangeModel(n_traders=np.int64(6), governance_enabled=False, market={"history": 64.0})
    assert m.n_traders == 6
    assert not m.governance.params.enabled
    assert m.exchange.market.params.history == 64
