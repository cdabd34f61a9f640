"""Intervals: binomial against reference values, seeded bootstrap, t interval, pairing."""

import math

import numpy as np
import pandas as pd
import pytest

from abm.batch import aggregate_long, stats
from abm.batch.aggregate import aggregate


def test_wilson_and_exact_intervals_for_one_in_fifty_match_reference_values():
    wilson = stats.proportion(1, 50)
    assert wilson.estimate == 0.02 and wilson.method == "wilson"
    assert (round(wilson.lo, 4), round(wilson.hi, 4)) == (0.0035, 0.1050)
    exact = stats.proportion(1, 50, method="exact")  # Clopper-Pearson
    assert (round(exact.lo, 4), round(exact.hi, 4)) == (0.0005, 0.1065)
    zero = stats.proportion(0, 50)
    assert zero.lo == 0.0 and zero.hi == pytest.approx(0.0713, abs=1e-4)
    with pytest.raises(ValueError, match="method must be one of"):
        stats.proportion(1, 50, method="wald")


def test_t_interval_of_the_mean():
    m = stats.mean([1.0, 2.0, 3.0, 4.0, math.nan])
    # mean 2.5, sem 0.6455, t(0.975, 3) = 3.1824
    assert m.n == 4 and m.method == "t"
    assert (m.lo, m.hi) == pytest.approx((2.5 - 2.0543, 2.5 + 2.0543), abs=1e-4)
    assert (stats.mean([3.0] * 5).lo, stats.mean([3.0] * 5).hi) == (3.0, 3.0)
    assert math.isnan(stats.mean([1.0]).lo)


def test_bootstrap_quantile_intervals_are_reproducible_under_a_seed():
    x = np.random.default_rng(5).lognormal(size=80)
    one = stats.quantiles(x, (50, 95), seed=[3, 1])
    two = stats.quantiles(x, (50, 95), seed=[3, 1])
    other = stats.quantiles(x, (50, 95), seed=[3, 2])
    assert one == two
    assert one != other
    for i, q in zip(one, (50, 95), strict=True):
        assert i.method == "bootstrap"
        assert i.estimate == pytest.approx(np.percentile(x, q))
        assert i.lo <= i.estimate <= i.hi and i.lo < i.hi


def test_paired_difference_of_proportions():
    a = [True, False, False, True, False] * 4
    same = stats.paired_proportion_difference(a, a)
    assert same.estimate == 0.0 and same.method == "newcombe"
    assert same.lo < 0 < same.hi and not same.excludes(0.0)
    better = stats.paired_proportion_difference([True] * 18 + [False] * 2, [False] * 20)
    assert better.estimate == -0.9 and better.hi < 0 < 1 + better.lo


def test_aggregate_carries_intervals_and_labels_conditional_statistics():
    runs = pd.DataFrame(
        {
            "point": [0] * 50,
            "seed": range(50),
            "fund_depleted": [True] + [False] * 49,
            "fund_depleted_step": [7.0] + [math.nan] * 49,
            "bad_debt": np.linspace(0, 49, 50),
            "uncovered_bad_debt": np.linspace(0, 49, 50),
            "liquidation_volume": np.linspace(0, 98, 50),
        }
    )
    agg = aggregate(runs)
    row = agg.iloc[0]
    assert row["p_fund_depleted"] == 0.02
    assert (round(row["p_fund_depleted_lo"], 4), round(row["p_fund_depleted_hi"], 4)) == (
        0.0035,
        0.1050,
    )
    assert row["var_95"] == row["uncovered_bad_debt_p95"]
    assert row["var_95_lo"] <= row["var_95"] <= row["var_95_hi"]
    assert row["bad_debt_mean_lo"] < 24.5 < row["bad_debt_mean_hi"]
    assert row["fund_depleted_step_mean"] == 7.0 and row["fund_depleted_step_n"] == 1
    long = aggregate_long(runs)
    step = long[long["metric"] == "fund_depleted_step"]
    assert set(step["condition"]) == {"fund depleted"} and set(step["n"]) == {1}
    methods = dict(zip(long["statistic"], long["method"], strict=False))
    assert methods == {
        "probability": "wilson",
        "mean": "t",
        "p5": "bootstrap",
        "p50": "bootstrap",
        "p95": "bootstrap",
        "p99": "bootstrap",
    }
    pd.testing.assert_frame_equal(aggregate(runs), agg)
