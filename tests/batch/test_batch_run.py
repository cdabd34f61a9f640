"""`abm.batch.run`: the tables, the summary, and files that appear whole or not at all."""

import json

import numpy as np
import pandas as pd
import pytest

from abm.batch import METRICS, RUN_FILES, OutputExistsError, parquet_safe, run, summarize
from abm.model import MODEL_COLUMNS
from abm.scenarios import ScenarioError

SPEC_METRICS = {
    "final_fund",
    "min_fund",
    "min_fund_to_oi",
    "max_drawdown",
    "bad_debt",
    "fund_covered",
    "lp_loss",
    "adl_volume",
    "socialized_loss",
    "unresolved_bad_debt",
    "liquidations",
    "liquidation_volume",
    "halted_steps",
    "proposals_passed",
    "proposals_failed",
    "treasury_injected",
    "fund_depleted_step",
}


def test_run_writes_the_documented_files_and_columns(tmp_path, small):
    out = tmp_path / "run"
    result = run("flash_crash", seed=7, steps=60, overrides=small, out=out)
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["step", *MODEL_COLUMNS]
    assert ts["step"].tolist() == list(range(61))

    events = pd.read_parquet(out / "events.parquet")
    assert {"step", "kind"} <= set(events.columns)

    agents = pd.read_parquet(out / "agents.parquet")
    assert {"Step", "AgentID", "agent_type", "equity", "leverage", "liquidated", "style"} <= set(
        agents.columns
    )
    assert {"Trader", "LiquidityProvider"} <= set(agents["agent_type"])
    assert sorted(agents["Step"].unique()) == [0, 10, 20, 30, 40, 50, 60]

    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "flash_crash" and summary["seed"] == 7
    assert summary["steps"] == 60 and summary["abm_version"]
    assert summary["overrides"] == small
    assert summary["config"]["exchange"]["penalty_rate"] == 0.015
    assert set(summary) >= SPEC_METRICS
    assert set(result.summary) <= set(summary)
    pd.testing.assert_frame_equal(ts, result.timeseries, check_dtype=False)


def test_same_seed_gives_identical_parquet_files(tmp_path, small):
    a = run("oracle_failure", seed=3, steps=80, overrides=small, out=tmp_path / "a")
    b = run("oracle_failure", seed=3, steps=80, overrides=small, out=tmp_path / "b")
    for name in ("timeseries.parquet", "events.parquet", "agents.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "a" / name), pd.read_parquet(tmp_path / "b" / name)
        )
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.summary == b.summary
    c = run("oracle_failure", seed=4, steps=80, overrides=small)
    assert not c.timeseries["price"].equals(a.timeseries["price"])


def _bad_inputs(tmp_path):
    no_close = tmp_path / "no_close.csv"
    no_close.write_text("timestamp,price\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n")
    return [
        ("calm", {"exchange.penalty_rat": 0.01}, r"unknown key 'exchange\.penalty_rat'"),
        ("calm", {"exchange.penalty_rate": "high"}, r"penalty_rate must be a number"),
        ("calm", {"exchange.penalty_rate": 2.0}, r"penalty_rate must be in \[0, 0\.5\], got 2"),
        ("replay", {"market.replay_path": str(tmp_path / "x.csv")}, "replay file not found"),
        ("replay", {"market.replay_path": str(no_close)}, r"needs columns 'timestamp' and 'close'"),
        ("no_such_preset", {}, r"unknown scenario 'no_such_preset'"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_bad_input_writes_nothing(tmp_path, small, case):
    scenario, overrides, message = _bad_inputs(tmp_path)[case]
    out = tmp_path / "runs" / "bad"
    with pytest.raises(ScenarioError, match=message):
        run(scenario, overrides={**small, **overrides}, out=out)
    assert not out.exists() and not out.parent.exists()


def test_a_failing_run_leaves_no_output(tmp_path, small):
    out = tmp_path / "run"

    def boom(model):
        if model.steps == 5:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        run("calm", steps=20, overrides=small, out=out, on_step=boom)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path, small):
    out = tmp_path / "run"
    run("calm", steps=10, overrides=small, out=out)
    before = (out / "summary.json").read_text()
    with pytest.raises(OutputExistsError, match="already exists"):
        run("calm", steps=12, overrides=small, out=out)
    assert (out / "summary.json").read_text() == before
    run("calm", steps=12, overrides=small, out=out, overwrite=True)
    assert json.loads((out / "summary.json").read_text())["steps"] == 12
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_check_runs_conservation_every_step(small):
    result = run("fund_depletion", steps=30, overrides=small, check=True)
    assert result.steps == 30


def test_parquet_safe_makes_mixed_event_columns_writable(tmp_path):
    frame = pd.DataFrame(
        {
            "step": [1, 2, 3, 4],
            "kind": ["a", "b", "c", "d"],
            "old": [0.1, "text", None, 3],
            "partial": [True, None, False, None],
            "count": [1, None, 3, None],
            "blob": [{"x": 1}, None, [1, 2], "s"],
            "empty": [None, None, None, None],
        }
    )
    safe = parquet_safe(frame)
    path = tmp_path / "e.parquet"
    safe.to_parquet(path)
    back = pd.read_parquet(path)
    assert back["old"].tolist()[:2] == ["0.1", "text"] and back["old"].isna().iloc[2]
    assert back["partial"].tolist()[0] is True and pd.isna(back["partial"].iloc[1])
    assert back["count"].dropna().tolist() == [1, 3]
    assert back["blob"].iloc[0] == '{"x": 1}'


def test_summarize_from_a_hand_made_series():
    n = 6
    ts = pd.DataFrame(
        {
            "step": range(n),
            "price": [100, 90, 50, 60, 70, 80.0],
            "insurance_fund": [100, 50, 0.5, 0.0, 20, 30.0],
            "fund_to_oi": [np.nan, 0.1, 0.001, 0.0, 0.02, 0.03],
            "fund_drawdown": [0, 0.5, 0.995, 1.0, 0.8, 0.7],
            "bad_debt": [0, 10, 200, 200, 200, 200.0],
            "fund_covered": [0, 10, 60, 60, 60, 60.0],
            "lp_loss": [0.0] * n,
            "adl_volume": [0, 0, 300, 300, 300, 300.0],
            "adl_covered": [0, 0, 100, 100, 100, 100.0],
            "socialized_loss": [0, 0, 40, 40, 40, 40.0],
            "unresolved_bad_debt": [0, 0, 0, 0, 0, 0.0],
            "liquidations": [0, 2, 9, 9, 9, 9],
            "liquidation_volume": [0, 5, 50, 50, 50, 50.0],
            "halted": [True, False, True, True, False, False],
            "treasury_balance": [10, 10, 10, 5, 5, 5.0],
            "proposals_passed": [0, 0, 0, 1, 1, 2],
            "proposals_failed": [0, 0, 0, 0, 1, 1],
            "treasury_injected": [0, 0, 0, 5, 5, 5.0],
        }
    )
    s = summarize(ts)
    assert set(s) == set(METRICS)
    assert s["fund_depleted_step"] == 2 and s["fund_depleted"]
    assert (s["min_fund"], s["final_fund"], s["min_fund_to_oi"]) == (0.0, 30.0, 0.0)
    assert s["uncovered_bad_debt"] == 140.0
    assert s["adl_covered"] == 100.0
    assert s["halted_steps"] == 2  # row 0 is the state before the first step
    assert (s["liquidations"], s["proposals_passed"], s["proposals_failed"]) == (9, 2, 1)
    assert s["min_price_ratio"] == 0.5 and s["final_price_ratio"] == 0.8
    assert summarize(ts.drop(columns=["proposals_passed"])).keys() == set(METRICS) - {
        "proposals_passed"
    }
