"""Policy comparison on common random numbers: zero for identical policies, a known
improvement significant with the right sign."""

import pandas as pd
import pytest

from abm.batch.compare import COMPARE_METRICS, compare

QUICK = {"traders.count": 80, "governance.n_voters": 30, "lps.count": 3}


def test_identical_policies_differ_by_exactly_zero(tmp_path):
    result = compare(["calm", "calm"], seeds=3, steps=8, overrides=QUICK, progress=False)
    table = result.table
    assert table["metric"].tolist() == list(COMPARE_METRICS)
    assert (table["difference"] == 0.0).all()
    assert not table["significant"].any()
    amounts = table[table["metric"] != "fund_depleted"]
    assert (amounts["lo"] == 0.0).all() and (amounts["hi"] == 0.0).all()
    assert set(amounts["method"]) == {"t"}
    assert table.loc[table["metric"] == "fund_depleted", "method"].item() == "newcombe"
    assert result.seeds == [1, 2, 3]


def test_a_much_larger_fund_is_a_significant_improvement(tmp_path):
    bigger = tmp_path / "big_fund.toml"
    bigger.write_text('extends = "thin_fund"\n\n[exchange]\ninitial_fund = 5000000.0\n')
    shock_early = {**QUICK, "market.shocks.0.start": 10}
    result = compare(
        ["thin_fund", str(bigger)],
        seeds=6,
        steps=30,
        overrides=shock_early,
        out=tmp_path / "cmp",
        progress=False,
    )
    row = result.table.set_index("metric").loc["max_drawdown"]
    assert row["significant"] and row["hi"] < 0  # the fund falls much less from its peak
    assert row["policy_mean"] < row["baseline_mean"]
    uncovered = result.table.set_index("metric").loc["uncovered_bad_debt"]
    assert uncovered["difference"] <= 0
    written = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert written["policy"].unique().tolist() == ["1:big_fund"]
    # run k of both policies is the same market: seeds match pairwise
    runs = result.runs
    assert list(runs["0:thin_fund"].index) == list(runs["1:big_fund"].index) == [1, 2, 3, 4, 5, 6]


def test_compare_needs_two_policies():
    with pytest.raises(ValueError, match="at least two policies"):
        compare(["calm"], seeds=2)
