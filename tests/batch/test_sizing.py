"""Fund sizing: a constructed monotone case with a known answer, the stopping rule, the
target grammar and a small end-to-end search."""

import numpy as np
import pytest

from abm.batch.sizing import parse_stress, parse_target, search, size_fund, weighted_share
from abm.batch.stats import proportion

U = np.random.default_rng(11).random(10_000)  # seed k's uniform draw: common random numbers


def true_p(value: float) -> float:
    """Half the runs deplete below a size of 6, none from 6 on."""
    return 0.5 if value < 6 else 0.0


def constructed(calls):
    def evaluate(value, n):
        calls.append((value, n))
        hits = U[:n] < true_p(value)
        return {"stress": hits}, _no_runs()

    return evaluate


def _no_runs():
    import pandas as pd

    return pd.DataFrame({"uncovered_bad_debt": [0.0], "liquidation_volume": [0.0]})


def test_search_finds_the_known_answer_and_stops_adding_seeds_once_decided():
    calls: list[tuple[float, int]] = []
    target = parse_target("P(depleted) < 5%")
    answer, frontier = search(
        constructed(calls), range(1, 11), target, {"stress": 1.0}, seeds=20, max_seeds=640
    )
    assert answer.value == 6 and answer.meets is True
    assert answer.share.lo <= true_p(answer.value) <= answer.share.hi
    assert answer.share.hi < 0.05
    # 0 of 40 runs leaves the Wilson upper bound at 0.088: not yet decided; 0 of 80: 0.046
    assert proportion(0, 40).hi > 0.05 > proportion(0, 80).hi
    assert answer.seeds == 80
    assert max(n for v, n in calls if v == 6) == 80
    for cand in frontier:
        if cand.value < 6:  # half deplete: 20 seeds already decide it fails
            assert cand.meets is False and cand.seeds == 20


def test_weighted_share_over_stress_scenarios():
    hits = {"a": np.array([True] * 2 + [False] * 48), "b": np.zeros(50, dtype=bool)}
    equal = weighted_share(hits, {"a": 1, "b": 1})
    pooled = proportion(2, 100)
    assert equal.estimate == pytest.approx(0.02)
    assert (equal.lo, equal.hi) == pytest.approx((pooled.lo, pooled.hi))
    heavy = weighted_share(hits, {"a": 3, "b": 1})
    assert heavy.estimate == pytest.approx(0.03)


@pytest.mark.parametrize(
    ("text", "threshold", "hours"),
    [
        ("P(depleted within 30 days) < 1%", 0.01, 720),
        ("p(depleted within 12 hours)<0.05", 0.05, 12),
        ("P(depleted) < 2.5 %", 0.025, float("inf")),
    ],
)
def test_target_grammar(text, threshold, hours):
    target = parse_target(text)
    assert target.threshold == pytest.approx(threshold)
    assert target.horizon_steps(step_hours=1.0) == hours


def test_bad_targets_and_stress_sets_are_refused():
    with pytest.raises(ValueError, match=r"--target must read P\(depleted within"):
        parse_target("VaR < 10")
    with pytest.raises(ValueError, match="threshold must be in"):
        parse_target("P(depleted) < 150%")
    assert parse_stress("flash_crash:2, oracle_failure") == {
        "flash_crash": 2.0,
        "oracle_failure": 1.0,
    }
    with pytest.raises(ValueError, match="weight of a must be positive"):
        parse_stress("a:0")


def test_size_fund_end_to_end_on_a_small_market(tmp_path):
    quick = {
        "traders.count": 80,
        "governance.n_voters": 30,
        "lps.count": 3,
        "market.shocks.0.start": 10,
    }
    result = size_fund(
        "thin_fund",
        target="P(depleted within 1 day) < 30%",
        values=[1000.0, 5e6],
        seeds=10,
        max_seeds=10,
        steps=30,
        overrides=quick,
        out=tmp_path / "size",
        progress=False,
    )
    frame = result.frontier_frame()
    assert frame["exchange.initial_fund"].tolist() == [1000.0, 5e6] or len(frame) == 1
    big = frame[frame["exchange.initial_fund"] == 5e6].iloc[0]
    assert big["p_target"] == 0.0 and big["meets"]
    assert result.runs == 10 * len(frame)
    assert (tmp_path / "size" / "frontier.csv").exists()
    again = size_fund(
        "thin_fund",
        target="P(depleted within 1 day) < 30%",
        values=[1000.0, 5e6],
        seeds=10,
        max_seeds=10,
        steps=30,
        overrides=quick,
        out=tmp_path / "size",
        progress=False,
    )
    assert again.runs == 0  # resumed: every run was already on disk
    assert again.frontier_frame().equals(frame)
