"""The package-level API mirrors the CLI."""

import abm


def test_top_level_api(small):
    sc = abm.load_scenario("flash_crash")
    result = abm.run(sc, seed=3, steps=20, overrides=small)
    assert len(result.timeseries) == 21 and "kind" in result.events
    assert {"Step", "AgentID"} <= set(result.agents.columns)
    assert result.summary["seed"] == 3
    agg = abm.sweep(
        "calm", {"exchange.penalty_rate": [0.01, 0.02]}, seeds=2, steps=10, overrides=small
    )
    assert len(agg) == 2 and "var_95" in agg
