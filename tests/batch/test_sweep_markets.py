"""Sweeps per market: a tidy table of every run's markets, aggregated per grid point and
market by the same interval methods as the totals, and the totals left as they were."""

import json
import math
import statistics

import pandas as pd
import pytest
from scipy import stats as sps

from abm.batch import OutputExistsError, aggregate, run_sweep
from abm.batch.metrics import ADDITIVE_MARKET_METRICS, MARKET_METRICS
from abm.batch.sweep import MARKET_FILES, read_market_runs, read_runs

MARKETS = ["BTC", "ETH", "SOL", "DOGE"]
GRID = {"exchange.penalty_rate": [0.01, 0.02]}
CRASH = [{"kind": "flash_crash", "start": 5, "drop": 0.4, "duration": 2}]
"""The preset's venue-wide crash moved from step 300 to step 5, so 30 steps see it."""
TOTALS = ("runs.parquet", "aggregate.parquet", "aggregate.csv", "aggregate_long.csv")


@pytest.fixture
def args(small):
    return {"seeds": 3, "steps": 30, "overrides": {**small, "factor.shocks": CRASH}}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The same per-market sweep with one worker and with two."""
    args = {"seeds": 3, "steps": 30, "overrides": {"factor.shocks": CRASH}}
    base = tmp_path_factory.mktemp("markets")
    one = run_sweep("multi_market_crash", GRID, out=base / "one", workers=1, progress=False, **args)
    two = run_sweep(
        "multi_market_crash", GRID, out=base / "two", workers=2, chunk_size=1,
        progress=False, **args,
    )  # fmt: skip
    return one, two


def test_every_run_has_one_row_per_market_and_the_markets_add_up_to_the_totals(swept):
    result, _ = swept
    per = result.runs_markets
    assert list(per.columns[:4]) == ["point", "seed", "exchange.penalty_rate", "market"]
    assert set(MARKET_METRICS) <= set(per.columns)
    assert len(per) == 4 * len(result.runs) == 24
    for (_, _), group in per.groupby(["point", "seed"], sort=False):
        assert group["market"].tolist() == MARKETS  # the scenario's order
    assert (per["bad_debt"] > 0).all()  # every market saw the crash, in every run
    totals = result.runs.set_index(["point", "seed"])
    sums = per.groupby(["point", "seed"])[list(ADDITIVE_MARKET_METRICS)].sum()
    for metric in ADDITIVE_MARKET_METRICS:
        total = totals["fund_covered" if metric == "fund_paid" else metric]
        assert sums[metric].to_numpy() == pytest.approx(total.to_numpy(), rel=1e-9, abs=1e-6)
    # one shared fund: every market sees the whole fund, and it is the venue's fund
    fund = per.groupby(["point", "seed"])["final_fund"]
    assert (fund.nunique() == 1).all()
    assert fund.first().to_numpy() == pytest.approx(totals["final_fund"].to_numpy())
    shares = per.groupby(["point", "seed"])["fund_share"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


def test_per_market_aggregate_uses_the_totals_methods_and_brackets_its_estimates(swept):
    result, _ = swept
    agg, long, per = result.aggregate_markets, result.aggregate_markets_long, result.runs_markets
    assert agg[["point", "market"]].values.tolist() == [[p, m] for p in (0, 1) for m in MARKETS]
    assert (agg["runs"] == 3).all()
    # a hand-made Student t interval: SOL at the second point
    x = per[(per["point"] == 1) & (per["market"] == "SOL")]["bad_debt"].tolist()
    mean = statistics.fmean(x)
    half = sps.t.ppf(0.975, len(x) - 1) * statistics.stdev(x) / math.sqrt(len(x))
    row = agg[(agg["point"] == 1) & (agg["market"] == "SOL")].iloc[0]
    assert row["bad_debt_mean"] == pytest.approx(mean)
    assert (row["bad_debt_mean_lo"], row["bad_debt_mean_hi"]) == pytest.approx(
        (mean - half, mean + half)
    )
    assert row["var_95"] == row["uncovered_bad_debt_p95"]
    assert row["lar_95"] == row["liquidation_volume_p95"]
    methods = long.groupby("statistic")["method"].unique()
    assert methods["probability"].tolist() == ["wilson"]
    assert methods["mean"].tolist() == ["t"]
    assert methods["p95"].tolist() == ["bootstrap"]
    finite = long.dropna(subset=["lo", "hi"])
    assert ((finite["lo"] <= finite["estimate"]) & (finite["estimate"] <= finite["hi"])).all()
    assert set(long["metric"]) == set(MARKET_METRICS)
    assert long.columns[:4].tolist() == ["point", "exchange.penalty_rate", "market", "runs"]


def test_per_market_files_are_the_same_bytes_with_one_or_two_workers(swept):
    one, two = swept
    for name in (*TOTALS, *MARKET_FILES):
        assert (one.out / name).read_bytes() == (two.out / name).read_bytes(), name
    meta = json.loads((one.out / "sweep.json").read_text())
    assert meta["by_market"] is True
    stored = pd.read_parquet(one.out / "runs_markets.parquet")
    pd.testing.assert_frame_equal(stored, one.runs_markets, check_dtype=False)


def test_per_market_summaries_leave_the_totals_bytes_as_they_were(tmp_path, args, small):
    on = run_sweep("multi_market_crash", GRID, out=tmp_path / "on", progress=False, **args)
    off = run_sweep(
        "multi_market_crash", GRID, out=tmp_path / "off", by_market=False, progress=False, **args
    )
    assert off.runs_markets is None and off.aggregate_markets is None
    assert not any((tmp_path / "off" / n).exists() for n in MARKET_FILES)
    assert "by_market" not in json.loads((tmp_path / "off" / "sweep.json").read_text())
    for name in TOTALS:
        assert (on.out / name).read_bytes() == (off.out / name).read_bytes(), name
    again = run_sweep("multi_market_crash", GRID, out=off.out, resume=True, progress=False, **args)
    assert again.executed == 0 and again.runs_markets is None  # a resume does as the folder did


def test_single_market_sweeps_are_unchanged_unless_asked(tmp_path, small):
    args = {"seeds": 2, "steps": 20, "overrides": small, "progress": False}
    plain = run_sweep("flash_crash", GRID, out=tmp_path / "plain", **args)
    assert plain.runs_markets is None
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == sorted([*TOTALS, "sweep.json"])
    assert "by_market" not in json.loads((tmp_path / "plain" / "sweep.json").read_text())
    asked = run_sweep("flash_crash", GRID, out=tmp_path / "asked", by_market=True, **args)
    for name in TOTALS:
        assert (plain.out / name).read_bytes() == (asked.out / name).read_bytes(), name
    per = asked.runs_markets  # the one market, named "market", with the run's figures
    assert per["market"].unique().tolist() == ["market"]
    runs = asked.runs
    for metric in ("bad_debt", "liquidations", "liquidation_volume", "final_fund"):
        assert per[metric].to_numpy() == pytest.approx(runs[metric].to_numpy())
    assert per["fund_paid"].to_numpy() == pytest.approx(runs["fund_covered"].to_numpy())


def test_an_interrupted_per_market_sweep_resumes_to_the_same_bytes(tmp_path, args):
    out = tmp_path / "sweep"
    seen = []

    def stop_after_two_chunks(rows):
        assert all("markets" not in r for r in rows)  # callers see the run rows only
        seen.extend(rows)
        if len(seen) >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            "multi_market_crash", GRID, out=out, chunk_size=2, on_chunk=stop_after_two_chunks,
            progress=False, **args,
        )  # fmt: skip
    assert len(list((out / "parts").glob("markets-*.parquet"))) == 2
    # as if killed between a chunk's two files: its markets are written, its runs are not
    min(f for f in (out / "parts").glob("part-*.parquet")).unlink()
    finished = read_runs(out)
    assert len(finished) == 2 and len(read_market_runs(out, finished)) == 2 * 4
    resumed = run_sweep("multi_market_crash", GRID, out=out, resume=True, progress=False, **args)
    assert resumed.executed == 4 and len(resumed.runs_markets) == 24
    fresh = run_sweep("multi_market_crash", GRID, out=tmp_path / "fresh", progress=False, **args)
    for name in (*TOTALS, *MARKET_FILES):
        assert (out / name).read_bytes() == (fresh.out / name).read_bytes(), name
    with pytest.raises(OutputExistsError, match="by_market"):
        run_sweep(
            "multi_market_crash", GRID, out=out, resume=True, by_market=False, progress=False,
            **args,
        )  # fmt: skip


def test_aggregate_by_market_keeps_the_markets_order_and_seeds_each_cell():
    runs = pd.DataFrame(
        {
            "point": [0] * 6,
            "seed": [1, 1, 2, 2, 3, 3],
            "market": ["DOGE", "BTC"] * 3,
            "bad_debt": [3.0, 1.0, 5.0, 1.0, 7.0, 4.0],
            "fund_depleted": [True, False, False, False, True, False],
        }
    )
    agg = aggregate(runs, by_market=True)
    assert agg["market"].tolist() == ["DOGE", "BTC"]
    doge, btc = agg.iloc[0], agg.iloc[1]
    assert doge["bad_debt_mean"] == 5.0 and btc["bad_debt_mean"] == 2.0
    half = sps.t.ppf(0.975, 2) * 2.0 / math.sqrt(3)  # DOGE: sd of 3, 5, 7 is 2
    assert (doge["bad_debt_mean_lo"], doge["bad_debt_mean_hi"]) == pytest.approx(
        (5 - half, 5 + half)
    )
    wilson = sps.binomtest(2, 3).proportion_ci(0.95, method="wilson")
    assert doge["p_fund_depleted"] == pytest.approx(2 / 3)
    assert (doge["p_fund_depleted_lo"], doge["p_fund_depleted_hi"]) == pytest.approx(
        (wilson.low, wilson.high)
    )
    assert btc["p_fund_depleted"] == 0.0
    assert doge["bad_debt_p50"] == 5.0 and btc["bad_debt_p50"] == 1.0
