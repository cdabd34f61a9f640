"""Sweeps: grid x common seeds, same results for any number of workers or on Dask, resumable."""

import json

import pandas as pd
import pytest

from abm.batch import METRICS, OutputExistsError, parse_grid, run, run_sweep, sweep
from abm.scenarios import ScenarioError

GRID = {"exchange.penalty_rate": [0.005, 0.02]}
STATS = ("mean", "p5", "p50", "p95", "p99")


@pytest.fixture
def args(small):
    return {"seeds": 3, "steps": 40, "overrides": small}


def test_grid_parsing():
    grid = parse_grid(["exchange.penalty_rate=0.005,0.01", "exchange.adl_ranking=bitmex,pnl"])
    assert grid == {
        "exchange.penalty_rate": [0.005, 0.01],
        "exchange.adl_ranking": ["bitmex", "pnl"],
    }
    with pytest.raises(ScenarioError, match="given twice"):
        parse_grid(["a.b=1", "a.b=2"])
    with pytest.raises(ScenarioError, match="path=value"):
        parse_grid(["penalty"])


def test_sweep_runs_every_point_with_common_seeds(args):
    result = run_sweep("flash_crash", GRID, **args)
    runs = result.runs
    assert len(runs) == 6 and result.executed == 6
    assert runs.groupby("point")["seed"].apply(list).tolist() == [[1, 2, 3], [1, 2, 3]]
    assert runs["exchange.penalty_rate"].tolist() == [0.005] * 3 + [0.02] * 3
    # seed k is the same run whatever the grid point's other values: compare with `run`
    one = run(
        "flash_crash",
        seed=2,
        steps=40,
        overrides={**args["overrides"], **{"exchange.penalty_rate": 0.02}},
    ).summary
    row = runs[(runs["point"] == 1) & (runs["seed"] == 2)].iloc[0]
    assert row["final_fund"] == pytest.approx(one["final_fund"])
    assert row["liquidations"] == one["liquidations"]


def test_run_fields_can_be_swept_too(small):
    result = run_sweep("calm", {"run.steps": [5, 12]}, seeds=2, overrides=small)
    assert result.runs["steps"].tolist() == [5, 5, 12, 12]


def test_aggregate_has_percentiles_var_and_lar(args):
    agg = sweep("calm", GRID, **args)
    assert agg["exchange.penalty_rate"].tolist() == [0.005, 0.02]
    assert (agg["runs"] == 3).all()
    for metric in ("final_fund", "bad_debt", "liquidation_volume", "min_fund_to_oi"):
        for stat in STATS:
            assert f"{metric}_{stat}" in agg
            assert (agg[f"{metric}_{stat}_lo"] <= agg[f"{metric}_{stat}"]).all()
            assert (agg[f"{metric}_{stat}"] <= agg[f"{metric}_{stat}_hi"]).all()
    for col in ("p_fund_depleted", "var_95", "lar_95"):
        assert col in agg and f"{col}_lo" in agg and f"{col}_hi" in agg
    assert (agg["lar_95"] == agg["liquidation_volume_p95"]).all()
    assert (agg["var_95"] == agg["uncovered_bad_debt_p95"]).all()
    assert agg["p_fund_depleted"].between(0, 1).all()
    assert all(m in METRICS for m in ("fund_depleted", "uncovered_bad_debt"))


def test_two_workers_give_the_same_results_as_one(args):
    one = run_sweep("oracle_failure", GRID, workers=1, **args)
    two = run_sweep("oracle_failure", GRID, workers=2, chunk_size=1, **args)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.aggregate, two.aggregate)


def test_interrupted_sweep_resumes_without_running_anything_twice(tmp_path, args):
    out = tmp_path / "sweep"
    seen: list[tuple[int, int]] = []

    def stop_after_two_chunks(rows):
        seen.extend((r["point"], r["seed"]) for r in rows)
        if len(seen) >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep("calm", GRID, out=out, chunk_size=2, on_chunk=stop_after_two_chunks, **args)
    assert not (out / "runs.parquet").exists()
    parts = list((out / "parts").glob("part-*.parquet"))
    assert len(parts) == 2 and sum(len(pd.read_parquet(p)) for p in parts) == 4
    first = set(seen)

    later: list[tuple[int, int]] = []
    resumed = run_sweep(
        "calm",
        GRID,
        out=out,
        resume=True,
        on_chunk=lambda rows: later.extend((r["point"], r["seed"]) for r in rows),
        **args,
    )
    assert resumed.executed == 2 and len(later) == 2
    assert first.isdisjoint(later)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 6 and not runs.duplicated(["point", "seed"]).any()
    assert not (out / "parts").exists()
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["complete"] is True
    assert meta["intervals"]["proportion"] == "wilson" and meta["intervals"]["mean"] == "t"
    long = pd.read_csv(out / "aggregate_long.csv")
    assert {"metric", "statistic", "estimate", "lo", "hi", "method", "condition"} <= set(long)

    fresh = run_sweep("calm", GRID, **args)
    pd.testing.assert_frame_equal(runs, fresh.runs, check_dtype=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "aggregate.parquet"), fresh.aggregate, check_dtype=False
    )

    again = run_sweep("calm", GRID, out=out, resume=True, **args)
    assert again.executed == 0 and len(again.runs) == 6


def test_resume_refuses_different_settings_and_existing_output(tmp_path, args):
    out = tmp_path / "sweep"
    run_sweep("calm", GRID, out=out, **args)
    with pytest.raises(OutputExistsError, match="different grid"):
        run_sweep("calm", {"exchange.penalty_rate": [0.01]}, out=out, resume=True, **args)
    with pytest.raises(OutputExistsError, match="--resume"):
        run_sweep("calm", GRID, out=out, **args)
    run_sweep("calm", GRID, out=out, overwrite=True, **{**args, "seeds": 2})
    assert len(pd.read_parquet(out / "runs.parquet")) == 4


def test_every_grid_point_is_validated_before_anything_is_written(tmp_path, args):
    out = tmp_path / "sweep"
    with pytest.raises(ScenarioError, match=r"exchange.penalty_rate must be in \[0, 0.5\]"):
        run_sweep("calm", {"exchange.penalty_rate": [0.01, 0.9]}, out=out, **args)
    with pytest.raises(ScenarioError, match="unknown key"):
        run_sweep("calm", {"exchange.penalty": [0.01]}, out=out, **args)
    assert not out.exists()


def test_dask_cluster_gives_the_same_results_as_the_local_run(args):
    distributed = pytest.importorskip("distributed")
    local = run_sweep("flash_crash", GRID, **args)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_sweep("flash_crash", GRID, dask=cluster.scheduler_address, **args)
    pd.testing.assert_frame_equal(local.runs, remote.runs)
    pd.testing.assert_frame_equal(local.aggregate, remote.aggregate)


def test_default_chunks_are_small_enough_to_balance_workers(small):
    sizes: list[int] = []
    grid = {"exchange.penalty_rate": [0.005, 0.01, 0.015, 0.02]}
    run_sweep(
        "calm", grid, seeds=8, steps=5, overrides=small, on_chunk=lambda r: sizes.append(len(r))
    )
    # 32 runs for one worker: 16 chunks of 2, so uneven runs cannot leave a worker idle long
    assert sizes == [2] * 16
