"""`mesa.batch_run` over every flat keyword: each row reports the input it was given."""

from __future__ import annotations

import inspect
from collections import Counter

import pytest

from abm import MODEL_COLUMNS, ExchangeModel

NESTED = {
    "preset",
    "exchange",
    "market",
    "oracle",
    "traders",
    "liquidators",
    "lps",
    "governance",
    "markets",
    "factor",
}
FLAT = sorted(set(inspect.signature(ExchangeModel).parameters) - NESTED - {"rng"})
SAMPLES = {
    "n_traders": [20, 30],
    "leverage_appetite": [0.5, 1.5],
    "max_leverage": [5.0, 10.0],
    "maintenance_margin": [0.01, 0.02],
    "penalty_rate": [0.01, 0.02],
    "penalty_fund_share": [0.3, 0.6],
    "fund_fee_share": [0.1, 0.3],
    "initial_fund": [100_000.0, 200_000.0],
    "treasury": [1_000_000.0, 3_000_000.0],
    "shock_size": [0.1, 0.2],
    "shock_hour": [2.0, 5.0],
    "cascade_impact": [0.0, 0.5],
    "replay_path": ["a.csv", "b.csv"],
    "agent_sample_period": [0, 5],
    "governance_enabled": [False, True],
    "governance_speed": [1.0, 2.0],
    "fund_scope": ["shared", "isolated"],
}
SEEDS = [1, 2]


def test_model_reporters_share_no_name_with_a_keyword():
    keywords = set(inspect.signature(ExchangeModel).parameters)
    assert not keywords & set(MODEL_COLUMNS)
    assert not {"RunId", "iteration", "Step"} & set(MODEL_COLUMNS)


def test_every_flat_keyword_has_sample_values():
    assert sorted(SAMPLES) == FLAT


@pytest.mark.parametrize("keyword", FLAT)
def test_each_row_reports_the_input_it_was_given(keyword, batch_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, closes in (("a.csv", (100, 90, 95, 80)), ("b.csv", (100, 110, 105, 120))):
        rows = "".join(f"{t},{c}\n" for t, c in enumerate(closes))
        (tmp_path / name).write_text("timestamp,close\n" + rows)
    values = SAMPLES[keyword]
    base = {} if keyword == "n_traders" else {"n_traders": 20}
    rows = batch_run(
        ExchangeModel,
        {**base, keyword: values},
        SEEDS,
        max_steps=3,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert Counter((r[keyword], r["rng"]) for r in rows) == Counter(
        (v, s) for v in values for s in SEEDS
    )
